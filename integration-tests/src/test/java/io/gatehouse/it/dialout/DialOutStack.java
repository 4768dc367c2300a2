package io.gatehouse.it.dialout;

import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.agent.AgentSettings;
import io.gatehouse.agent.DevCertificates;
import io.gatehouse.cli.dev.DevIssuer;
import io.gatehouse.cli.dev.DevKeys;
import io.gatehouse.cli.dev.DevTokens;
import io.gatehouse.config.LoadResult;
import io.gatehouse.config.YamlFiles;
import io.gatehouse.gateway.route.GatewayRuntime;
import io.gatehouse.it.support.Closer;
import io.gatehouse.it.support.TempDirs;
import io.gatehouse.it.support.TestAgent;
import io.gatehouse.it.support.TestConfig;
import io.gatehouse.samplemodel.SampleModelServer;
import io.gatehouse.samplemodel.SampleModelSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The whole path in this JVM with agents that dial out: sample model (HTTP and gRPC) ← agents with no listening
 * port, which connect to the gateway's agent tunnel (mutual TLS, dev CA, each with a certificate of its own) ←
 * gateway (HTTP endpoint {@code openai}, gRPC endpoint {@code kserve-grpc}, recording, the demo's policies). The
 * gateway pins the identities {@code agent-a} and {@code agent-b} to its agent {@code local}.
 */
final class DialOutStack implements AutoCloseable {

    static final String AUDIENCE = "gatehouse";
    static final String KEY_VARIABLE = "GATEHOUSE_IT_DIALOUT_KEY";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final Path root;
    final Path data;
    final String modelKey;
    final SampleModelServer model;
    final GatewayRuntime gateway;
    private final RSAKey devKey;
    private final DevIssuer issuer;
    private final Closer started;

    private DialOutStack(Path root, Path data, String modelKey, SampleModelServer model, GatewayRuntime gateway,
                         RSAKey devKey, DevIssuer issuer, Closer started) {
        this.root = root;
        this.data = data;
        this.modelKey = modelKey;
        this.model = model;
        this.gateway = gateway;
        this.devKey = devKey;
        this.issuer = issuer;
        this.started = started;
    }

    static DialOutStack start() throws Exception {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        Path root = Files.createTempDirectory("gatehouse-it-dialout-");
        Path data = root.resolve("data");
        Closer started = new Closer();
        try {
            String key = TestAgent.randomKey();
            SampleModelServer model = started.add(SampleModelServer.start(SampleModelSettings.loopback(key)
                    .withTokenDelay(Duration.ofMillis(5)).withGrpcPort(0)));
            RSAKey devKey = DevKeys.loadOrCreate(data);
            DevIssuer issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));
            Path config = root.resolve("config");
            TempDirs.write(config.resolve("gateway.yaml"), "listeners:\n  http:\n    host: 127.0.0.1\n    port: 0\n"
                    + "  grpc:\n    protocol: grpc\n    host: 127.0.0.1\n    port: 0\n"
                    + "admin:\n  host: 127.0.0.1\n  port: 0\n  auth:\n    providers: [dev]\n  auditors: [auditors]\n"
                    + "agentTunnel:\n  host: 127.0.0.1\n  port: 0\n"
                    + "agents:\n  local:\n    identities: [agent-a, agent-b]\n"
                    + "dataDirectory: " + data + "\nidentity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer()
                    + "\n      audiences: [" + AUDIENCE + "]\n");
            TempDirs.write(config.resolve("endpoints").resolve("openai.yaml"), "id: openai\nlistener: http\npath: /v1\n"
                    + "protocol: openai\ntarget:\n  agent: local\n  service: demo-model\npipeline:\n"
                    + "  - recording: {}\n  - limits:\n      requestTimeout: 30s\n  - auth:\n      providers: [dev]\n"
                    + "  - policy: {}\n");
            TempDirs.write(config.resolve("endpoints").resolve("kserve-grpc.yaml"), "id: kserve-grpc\nlistener: grpc\n"
                    + "models: [demo-small, demo-large]\nprotocol: kserve-v2\n"
                    + "target:\n  agent: local\n  service: demo-grpc\npipeline:\n"
                    + "  - recording: {}\n  - auth:\n      providers: [dev]\n  - policy: {}\n");
            TestConfig.copyDemoPolicies(config);
            TestConfig.writeOllamaEndpoint(config, "demo-model");
            // The failover run sends 200 requests in seconds: its caller is in a group without rate limits.
            TempDirs.write(config.resolve("policies").resolve("load-testers.yaml"), "name: load-testers\n"
                    + "appliesTo:\n  groups: [load-testers]\nrules:\n  - name: everything-small\n    effect: allow\n"
                    + "    models: [demo-small]\n    operations: [chat, completion, infer, list-models]\n");
            GatewayRuntime gateway = started.add(TestConfig.startGateway(config));
            return new DialOutStack(root, data, key, model, gateway, devKey, issuer, started);
        } catch (Exception | Error e) {
            started.close();
            TempDirs.deleteTreeQuietly(root);
            throw e;
        }
    }

    /** A certificate with this common name from the gateway's dev CA: {certificate, key}. */
    Path[] certificate(String commonName) {
        return DevCertificates.issue(data, commonName, root.resolve("agent-certs"));
    }

    /**
     * Starts an agent that dials the gateway's tunnel as {@code agent} with {@code cert}, trusting {@code ca}; its
     * services are the sample model's HTTP and gRPC sides, with the model key ({@code demoModelSecret}, when not
     * null, is where demo-model's key is read from instead).
     */
    AgentServer startAgent(String name, String agent, Path[] cert, Path ca, String demoModelSecret) throws IOException {
        Path yaml = root.resolve("agents").resolve(name + ".yaml");
        TempDirs.write(yaml, "dataDirectory: " + root.resolve("agents").resolve(name + "-data") + "\n"
                + "gateway:\n  address: 127.0.0.1:" + gateway.agentTunnelPort() + "\n  agent: " + agent + "\n"
                + "  reconnectMin: 100ms\n  reconnectMax: 2s\n"
                + "  tls:\n    certificate: " + cert[0] + "\n    privateKey: " + cert[1] + "\n    trustedCa: " + ca + "\n"
                + "services:\n"
                + "  demo-model:\n    url: " + model.baseUri() + "\n    credential:\n      secret: "
                + (demoModelSecret == null ? "env:" + KEY_VARIABLE : demoModelSecret) + "\n"
                + "  demo-grpc:\n    url: grpc://127.0.0.1:" + model.grpcPort() + "\n    credential:\n"
                + "      header: authorization\n      secret: env:" + KEY_VARIABLE + "\n");
        Function<String, String> env = v -> KEY_VARIABLE.equals(v) ? modelKey : null;
        LoadResult<AgentSettings> settings = YamlFiles.bind(yaml, AgentSettings.class, env, Map.of("services", "service"));
        if (!settings.isValid()) {
            throw new IllegalStateException("agent yaml invalid: " + settings.formattedErrors());
        }
        return started.add(AgentServer.start(settings.orThrow()));
    }

    /**
     * Starts a dialling agent as {@code agent-a} of 'local' whose agent.yaml ends with {@code servicesAndMore} (its
     * {@code services:} and any other top-level keys), written by the test.
     */
    AgentServer startAgentWith(String name, String servicesAndMore) throws IOException {
        Path[] cert = certificate("agent-a");
        Path yaml = root.resolve("agents").resolve(name + ".yaml");
        TempDirs.write(yaml, "dataDirectory: " + root.resolve("agents").resolve(name + "-data") + "\n"
                + "gateway:\n  address: 127.0.0.1:" + gateway.agentTunnelPort() + "\n  agent: local\n"
                + "  tls:\n    certificate: " + cert[0] + "\n    privateKey: " + cert[1] + "\n    trustedCa: " + ca() + "\n"
                + servicesAndMore);
        LoadResult<AgentSettings> settings = YamlFiles.bind(yaml, AgentSettings.class, v -> null,
                Map.of("services", "service"));
        if (!settings.isValid()) {
            throw new IllegalStateException("agent yaml invalid: " + settings.formattedErrors());
        }
        return started.add(AgentServer.start(settings.orThrow()));
    }

    /** The gateway's dev CA certificate. */
    Path ca() {
        return DevCertificates.locate(data).caCertificate();
    }

    /** Waits until {@code n} agents of 'local' are attached (the agents connect on their own, asynchronously). */
    void awaitAttached(long n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (gateway.dialledInAgents("local") != n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + n + " attached agents, have " + gateway.dialledInAgents("local"));
            }
            Thread.sleep(20);
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + gateway.port("http") + "/v1";
    }

    int grpcPort() {
        return gateway.port("grpc");
    }

    URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + gateway.adminPort() + path);
    }

    String admin(String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(adminUri(path)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    String token(String user, String... groups) {
        return DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, user, List.of(groups), Duration.ofHours(1),
                Instant.now());
    }

    @Override
    public void close() {
        started.close();
        TempDirs.deleteTreeQuietly(root);
    }
}
