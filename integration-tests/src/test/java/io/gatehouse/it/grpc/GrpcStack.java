package io.gatehouse.it.grpc;

import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.agent.AgentSettings;
import io.gatehouse.config.LoadResult;
import io.gatehouse.config.YamlFiles;
import io.gatehouse.gateway.cli.GatewayAssembly;
import io.gatehouse.gateway.dev.DevIssuer;
import io.gatehouse.gateway.dev.DevKeys;
import io.gatehouse.gateway.dev.DevTokens;
import io.gatehouse.gateway.route.GatewayRuntime;
import io.gatehouse.samplemodel.SampleModelServer;
import io.gatehouse.samplemodel.SampleModelSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The whole gRPC path in this JVM on loopback: sample model (gRPC side) ← agent (mutual TLS, a grpc://
 * service) ← gateway with a gRPC listener, the dev issuer for tokens, and the demo's policies. One gRPC
 * endpoint serves demo-small and demo-large and the server-level calls; its pipeline is recording,
 * limits, auth, policy, approval (ml-leads), masking — the demo's.
 */
final class GrpcStack implements AutoCloseable {

    static final String AUDIENCE = "gatehouse";
    static final Path DEMO_POLICIES = Path.of("../config/examples/demo/policies");
    private static final String KEY_VARIABLE = "GATEHOUSE_IT_GRPC_MODEL_KEY";

    private final Path root;
    private final RSAKey devKey;
    private final DevIssuer issuer;
    private final GatewayRuntime gateway;
    private final SampleModelServer model;
    private final List<AutoCloseable> started;

    private GrpcStack(Path root, RSAKey devKey, DevIssuer issuer, GatewayRuntime gateway, SampleModelServer model,
                      List<AutoCloseable> started) {
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
        List<AutoCloseable> started = new ArrayList<>();
        try {
            String key = "sk-it-" + Long.toHexString(System.nanoTime());
            SampleModelServer model = SampleModelServer.start(SampleModelSettings.loopback(key)
                    .withTokenDelay(Duration.ZERO).withGrpcPort(0));
            started.add(model);
            Path agentYaml = write(root.resolve("agent").resolve("agent.yaml"), "listen:\n  host: 127.0.0.1\n  port: 0\n"
                    + "dataDirectory: " + data + "\nservices:\n  demo-grpc:\n    url: grpc://127.0.0.1:" + model.grpcPort()
                    + "\n    credential:\n      header: Authorization\n      scheme: Bearer\n      secret: env:"
                    + KEY_VARIABLE + "\n");
            Function<String, String> agentEnv = name -> KEY_VARIABLE.equals(name) ? key : null;
            LoadResult<AgentSettings> settings = YamlFiles.bind(agentYaml, AgentSettings.class, agentEnv,
                    Map.of("services", "service"));
            if (!settings.isValid()) {
                throw new IllegalStateException("test agent.yaml is invalid: " + settings.formattedErrors());
            }
            AgentServer agent = AgentServer.start(settings.orThrow());
            started.add(agent);
            RSAKey devKey = DevKeys.loadOrCreate(data);
            DevIssuer issuer = DevIssuer.start("127.0.0.1", 0, devKey, false);
            started.add(issuer);

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
                    + "  - policy: {}\n  - approval:\n      approvers: [ml-leads]\n  - masking:\n"
                    + "      exemptGroups: [pii-readers]\n");
            // The demo's policies name the HTTP endpoint too.
            write(config.resolve("endpoints").resolve("openai.yaml"), "id: openai\nlistener: http\npath: /v1\n"
                    + "protocol: openai\ntarget:\n  agent: local\n  service: demo-model\npipeline:\n  - auth:\n"
                    + "      providers: [dev]\n  - policy: {}\n");
            Path policies = Files.createDirectories(config.resolve("policies"));
            try (Stream<Path> files = Files.list(DEMO_POLICIES)) {
                for (Path f : files.toList()) {
                    Files.copy(f, policies.resolve(f.getFileName()));
                }
            }
            GatewayAssembly.Loaded loaded = GatewayAssembly.load(config, name -> null);
            if (!loaded.errors().isEmpty()) {
                throw new IllegalStateException("test config is invalid:\n" + String.join("\n", loaded.errors()));
            }
            GatewayRuntime gateway = GatewayRuntime.start(loaded.config(), loaded.registry());
            started.add(gateway);
            return new GrpcStack(root, devKey, issuer, gateway, model, started);
        } catch (Exception | Error e) {
            closeAll(reversed(started));
            delete(root);
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
        closeAll(reversed(started));
        delete(root);
    }

    private static List<AutoCloseable> reversed(List<AutoCloseable> list) {
        List<AutoCloseable> copy = new ArrayList<>(list);
        Collections.reverse(copy);
        return copy;
    }

    private static void closeAll(List<AutoCloseable> closeables) {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception ignored) {
                // stopping: keep stopping the rest
            }
        }
    }

    private static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text);
    }

    private static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a temp folder left behind is harmless
        }
    }
}
