package io.gatehouse.it.policy;

import static io.gatehouse.it.support.TempDirs.write;

import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.cli.dev.DevIssuer;
import io.gatehouse.cli.dev.DevKeys;
import io.gatehouse.cli.dev.DevTokens;
import io.gatehouse.gateway.route.GatewayRuntime;
import io.gatehouse.it.support.Closer;
import io.gatehouse.it.support.TempDirs;
import io.gatehouse.it.support.TestAgent;
import io.gatehouse.it.support.TestConfig;
import io.gatehouse.samplemodel.SampleModelServer;
import io.gatehouse.samplemodel.SampleModelSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The whole path in this JVM on loopback: sample model (demo-small, demo-large) ← agent (mutual TLS) ←
 * gateway, with the dev issuer for tokens. One OpenAI endpoint at {@code /v1} whose pipeline is
 * recording, limits, auth, policy (auditors read the records through the admin API); the policies are the demo's ({@code config/examples/demo/policies}), the groups those of
 * the Keycloak realm.
 */
final class PolicyStack implements AutoCloseable {

    static final String AUDIENCE = "gatehouse";
    static final Path DEMO_POLICIES = TestConfig.DEMO_POLICIES;
    private static final String KEY_VARIABLE = "GATEHOUSE_IT_MODEL_KEY";

    private final Path root;
    private final RSAKey devKey;
    private final DevIssuer issuer;
    private final GatewayRuntime gateway;
    private final Closer started;

    private PolicyStack(Path root, RSAKey devKey, DevIssuer issuer, GatewayRuntime gateway, Closer started) {
        this.root = root;
        this.devKey = devKey;
        this.issuer = issuer;
        this.gateway = gateway;
        this.started = started;
    }

    static PolicyStack start() throws Exception {
        Path root = Files.createTempDirectory("gatehouse-it-policy-");
        Path data = root.resolve("data");
        Closer started = new Closer();
        try {
            String key = "sk-it-" + Long.toHexString(System.nanoTime());
            SampleModelServer model = started.add(SampleModelServer.start(SampleModelSettings.loopback(key)
                    .withTokenDelay(Duration.ZERO)));
            AgentServer agent = started.add(TestAgent.start(root.resolve("agent").resolve("agent.yaml"), data,
                    Map.of("demo-model", model.baseUri()), KEY_VARIABLE, key));
            RSAKey devKey = DevKeys.loadOrCreate(data);
            DevIssuer issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));

            Path config = root.resolve("config");
            write(config.resolve("gateway.yaml"), "listeners:\n  http:\n    host: 127.0.0.1\n    port: 0\n"
                    + "admin:\n  host: 127.0.0.1\n  port: 0\n  auth:\n    providers: [dev]\n  auditors: [auditors]\nagents:\n  local:\n    address: 127.0.0.1:" + agent.port()
                    + "\ndataDirectory: " + data + "\nidentity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer()
                    + "\n      audiences: [" + AUDIENCE + "]\n");
            write(config.resolve("endpoints").resolve("openai.yaml"), "id: openai\nlistener: http\npath: /v1\n"
                    + "protocol: openai\ntarget:\n  agent: local\n  service: demo-model\npipeline:\n"
                    + "  - recording: {}\n  - limits:\n      requestTimeout: 30s\n  - auth:\n      providers: [dev]\n  - policy:\n");
            TestConfig.writeOllamaEndpoint(config, "demo-model"); // the demo's policies name it
            TestConfig.copyDemoPolicies(config);
            GatewayRuntime gateway = started.add(TestConfig.startGateway(config));
            return new PolicyStack(root, devKey, issuer, gateway, started);
        } catch (Exception | Error e) {
            started.close();
            TempDirs.deleteTreeQuietly(root);
            throw e;
        }
    }

    /** The admin API at {@code path}, e.g. {@code /admin/sessions/<id>}. */
    java.net.URI adminUri(String path) {
        return java.net.URI.create("http://127.0.0.1:" + gateway.adminPort() + path);
    }

    /** {@code http://127.0.0.1:<port>/v1}. */
    String baseUrl() {
        return "http://127.0.0.1:" + gateway.port("http") + "/v1";
    }

    String token(String user, List<String> groups) {
        return DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, user, groups, Duration.ofHours(1), Instant.now());
    }

    @Override
    public void close() {
        started.close();
        TempDirs.deleteTreeQuietly(root);
    }
}
