package io.gatehouse.it.grpc;

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
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The whole gRPC path in this JVM on loopback: sample model (gRPC side) ← agent (mutual TLS, a grpc://
 * service) ← gateway with a gRPC listener, the dev issuer for tokens, and the demo's policies. One gRPC
 * endpoint serves demo-small and demo-large and the server-level calls; its pipeline is recording,
 * limits, auth, policy, approval (ml-leads), masking — the demo's.
 */
final class GrpcStack implements AutoCloseable {

    static final String AUDIENCE = "gatehouse";
    static final Path DEMO_POLICIES = TestConfig.DEMO_POLICIES;
    private static final String KEY_VARIABLE = "GATEHOUSE_IT_GRPC_MODEL_KEY";

    private final Path root;
    private final RSAKey devKey;
    private final DevIssuer issuer;
    private final GatewayRuntime gateway;
    private final SampleModelServer model;
    private final Closer started;

    private GrpcStack(Path root, RSAKey devKey, DevIssuer issuer, GatewayRuntime gateway, SampleModelServer model,
                      Closer started) {
        this.root = root;
        this.devKey = devKey;
        this.issuer = issuer;
        this.gateway = gateway;
        this.model = model;
        this.started = started;
    }

    static GrpcStack start(String maxMessage) throws Exception {
        Path root = Files.createTempDirectory("gatehouse-it-grpc-");
        Path data = root.resolve("data");
        Closer started = new Closer();
        try {
            String key = "sk-it-" + Long.toHexString(System.nanoTime());
            SampleModelServer model = started.add(SampleModelServer.start(SampleModelSettings.loopback(key)
                    .withTokenDelay(Duration.ZERO).withGrpcPort(0)));
            AgentServer agent = started.add(TestAgent.start(root.resolve("agent").resolve("agent.yaml"), data,
                    Map.of("demo-grpc", URI.create("grpc://127.0.0.1:" + model.grpcPort())), KEY_VARIABLE, key));
            RSAKey devKey = DevKeys.loadOrCreate(data);
            DevIssuer issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));

            Path config = root.resolve("config");
            write(config.resolve("gateway.yaml"), "listeners:\n  http:\n    host: 127.0.0.1\n    port: 0\n  grpc:\n    protocol: grpc\n    host: 127.0.0.1\n"
                    + "    port: 0\n    maxBodyBytes: " + maxMessage + "\n"
                    + "admin:\n  host: 127.0.0.1\n  port: 0\n  auth:\n    providers: [dev]\n  auditors: [auditors]\n"
                    + "agents:\n  local:\n    address: 127.0.0.1:" + agent.port()
                    + "\ndataDirectory: " + data + "\nidentity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer()
                    + "\n      audiences: [" + AUDIENCE + "]\n");
            write(config.resolve("endpoints").resolve("kserve-grpc.yaml"), "id: kserve-grpc\nlistener: grpc\n"
                    + "models: [demo-small, demo-large]\nserverCalls: true\nprotocol: kserve-v2\n"
                    + "target:\n  agent: local\n  service: demo-grpc\npipeline:\n"
                    + "  - recording: {}\n  - limits:\n      requestTimeout: 30s\n  - auth:\n      providers: [dev]\n"
                    + "  - policy:\n      filterModelLists: true\n  - approval:\n      approvers: [ml-leads]\n  - masking:\n"
                    + "      exemptGroups: [pii-readers]\n");
            // The demo's policies name the HTTP endpoint too.
            write(config.resolve("endpoints").resolve("openai.yaml"), "id: openai\nlistener: http\npath: /v1\n"
                    + "protocol: openai\ntarget:\n  agent: local\n  service: demo-model\npipeline:\n  - auth:\n"
                    + "      providers: [dev]\n  - policy: {}\n");
            TestConfig.writeOllamaEndpoint(config, "demo-grpc"); // the demo's policies name it
            TestConfig.copyDemoPolicies(config);
            GatewayRuntime gateway = started.add(TestConfig.startGateway(config));
            return new GrpcStack(root, devKey, issuer, gateway, model, started);
        } catch (Exception | Error e) {
            started.close();
            TempDirs.deleteTreeQuietly(root);
            throw e;
        }
    }

    int grpcPort() {
        return gateway.port("grpc");
    }

    SampleModelServer model() {
        return model;
    }

    java.net.URI adminUri(String path) {
        return java.net.URI.create("http://127.0.0.1:" + gateway.adminPort() + path);
    }

    String token(String user, String... groups) {
        return DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, user, List.of(groups), Duration.ofHours(1),
                Instant.now());
    }

    /** A token of a sign-in with a second factor (amr pwd, otp), as ml-leads need for model administration. */
    String tokenWithOtp(String user, String... groups) {
        return DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, user, List.of(groups), List.of("pwd", "otp"),
                Duration.ofHours(1), Instant.now());
    }

    @Override
    public void close() {
        started.close();
        TempDirs.deleteTreeQuietly(root);
    }
}
