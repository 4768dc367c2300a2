package io.gatehouse.bench;

import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.agent.AgentSettings;
import io.gatehouse.config.LoadResult;
import io.gatehouse.config.YamlFiles;
import io.gatehouse.gateway.GatewayAssembly;
import io.gatehouse.cli.dev.DevIssuer;
import io.gatehouse.cli.dev.DevKeys;
import io.gatehouse.cli.dev.DevTokens;
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
 * The whole gRPC path in this JVM, on loopback, built as the integration tests' {@code GrpcStack} does:
 * sample model (gRPC side, no token delay) ← agent (mutual TLS, service {@code demo-grpc} = the model's
 * gRPC port, the model key from an environment entry only the agent sees) ← gateway with a {@code grpc}
 * listener and endpoint {@code kserve-grpc} (demo-small, demo-large, server calls; pipeline recording,
 * limits, auth, policy, masking, or limits and auth alone) plus an {@code http} listener with a minimal {@code openai} endpoint,
 * which the demo's policies name. Tokens come from the dev issuer; the store is H2 in a temp folder.
 */
final class GrpcBenchStack implements AutoCloseable {

    static final String AUDIENCE = "gatehouse";
    /** The endpoint's pipeline: {@code demo} (the demo's steps, approval left out) or {@code lean} (as run-http.sh). */
    static final Map<String, String> PIPELINES = Map.of(
            "demo", "recording {}, limits {requestTimeout: 30s}, auth {providers: [dev]}, policy {}, masking {}",
            "lean", "limits {requestTimeout: 30s}, auth {providers: [dev]}");
    private static final Map<String, String> PIPELINE_YAML = Map.of(
            "demo", "  - recording: {}\n  - limits:\n      requestTimeout: 30s\n  - auth:\n      providers: [dev]\n"
                    + "  - policy: {}\n  - masking: {}\n",
            "lean", "  - limits:\n      requestTimeout: 30s\n  - auth:\n      providers: [dev]\n");
    private static final String KEY_VARIABLE = "GATEHOUSE_BENCH_GRPC_MODEL_KEY";

    private final Path root;
    private final String modelKey;
    private final RSAKey devKey;
    private final DevIssuer issuer;
    private final GatewayRuntime gateway;
    private final SampleModelServer model;
    private final List<AutoCloseable> started;

    private GrpcBenchStack(Path root, String modelKey, RSAKey devKey, DevIssuer issuer, GatewayRuntime gateway,
                           SampleModelServer model, List<AutoCloseable> started) {
        this.root = root;
        this.modelKey = modelKey;
        this.devKey = devKey;
        this.issuer = issuer;
        this.gateway = gateway;
        this.model = model;
        this.started = started;
    }

    /**
     * Starts everything; {@code demoPolicies} is {@code config/examples/demo/policies}, copied as it is, and
     * {@code pipeline} a key of {@link #PIPELINES}.
     */
    static GrpcBenchStack start(Path demoPolicies, String pipeline) throws Exception {
        if (!PIPELINE_YAML.containsKey(pipeline)) {
            throw new IllegalArgumentException("pipeline is one of " + PIPELINE_YAML.keySet() + ", got " + pipeline);
        }
        Path root = Files.createTempDirectory("gatehouse-bench-grpc-");
        Path data = root.resolve("data");
        List<AutoCloseable> started = new ArrayList<>();
        try {
            String key = "sk-bench-" + Long.toHexString(System.nanoTime());
            SampleModelServer model = SampleModelServer.start(SampleModelSettings.loopback(key)
                    .withTokenDelay(Duration.ZERO).withGrpcPort(0));
            started.add(model);
            Path agentYaml = write(root.resolve("agent").resolve("agent.yaml"), "listen:\n  host: 127.0.0.1\n"
                    + "  port: 0\ndataDirectory: " + data + "\nservices:\n  demo-grpc:\n    url: grpc://127.0.0.1:"
                    + model.grpcPort() + "\n    credential:\n      header: Authorization\n      scheme: Bearer\n"
                    + "      secret: env:" + KEY_VARIABLE + "\n");
            Function<String, String> agentEnv = name -> KEY_VARIABLE.equals(name) ? key : null;
            LoadResult<AgentSettings> settings = YamlFiles.bind(agentYaml, AgentSettings.class, agentEnv,
                    Map.of("services", "service"));
            if (!settings.isValid()) {
                throw new IllegalStateException("bench agent.yaml is invalid: " + settings.formattedErrors());
            }
            AgentServer agent = AgentServer.start(settings.orThrow());
            started.add(agent);
            RSAKey devKey = DevKeys.loadOrCreate(data);
            DevIssuer issuer = DevIssuer.start("127.0.0.1", 0, devKey, false);
            started.add(issuer);

            Path config = root.resolve("config");
            write(config.resolve("gateway.yaml"), "listeners:\n  http:\n    host: 127.0.0.1\n    port: 0\n"
                    + "  grpc:\n    protocol: grpc\n    host: 127.0.0.1\n    port: 0\n"
                    + "admin:\n  host: 127.0.0.1\n  port: 0\n  auth:\n    providers: [dev]\n  auditors: [auditors]\n"
                    + "agents:\n  local:\n    address: 127.0.0.1:" + agent.port()
                    + "\ndataDirectory: " + data + "\nidentity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer()
                    + "\n      audiences: [" + AUDIENCE + "]\n");
            write(config.resolve("endpoints").resolve("kserve-grpc.yaml"), "id: kserve-grpc\nlistener: grpc\n"
                    + "models: [demo-small, demo-large]\nserverCalls: true\nprotocol: kserve-v2\n"
                    + "target:\n  agent: local\n  service: demo-grpc\npipeline:\n" + PIPELINE_YAML.get(pipeline));
            // The demo's policies name the HTTP endpoints too; nothing calls them here.
            write(config.resolve("endpoints").resolve("openai.yaml"), "id: openai\nlistener: http\npath: /v1\n"
                    + "protocol: openai\ntarget:\n  agent: local\n  service: demo-model\npipeline:\n  - auth:\n"
                    + "      providers: [dev]\n  - policy: {}\n");
            write(config.resolve("endpoints").resolve("ollama.yaml"), "id: ollama\nlistener: http\npath: /ollama\n"
                    + "protocol: ollama\ntarget:\n  agent: local\n  service: demo-model\npipeline:\n  - auth:\n"
                    + "      providers: [dev]\n  - policy: {}\n");
            Path policies = Files.createDirectories(config.resolve("policies"));
            try (Stream<Path> files = Files.list(demoPolicies)) {
                for (Path f : files.toList()) {
                    Files.copy(f, policies.resolve(f.getFileName()));
                }
            }
            GatewayAssembly.Loaded loaded = GatewayAssembly.load(config, name -> null);
            if (!loaded.errors().isEmpty()) {
                throw new IllegalStateException("bench config is invalid:\n" + String.join("\n", loaded.errors()));
            }
            GatewayRuntime gateway = GatewayRuntime.start(loaded.config(), loaded.registry());
            started.add(gateway);
            return new GrpcBenchStack(root, key, devKey, issuer, gateway, model, started);
        } catch (Exception | Error e) {
            closeAll(reversed(started));
            delete(root);
            throw e;
        }
    }

    /** The gateway's gRPC listener. */
    int gatewayPort() {
        return gateway.port("grpc");
    }

    /** The sample model's own gRPC port, which wants {@link #modelKey()} as its bearer. */
    int modelPort() {
        return model.grpcPort();
    }

    String modelKey() {
        return modelKey;
    }

    long modelInferCalls() {
        return model.grpcCounters().calls("ModelInfer");
    }

    String token(String user, String... groups) {
        return DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, user, List.of(groups), Duration.ofHours(1),
                Instant.now());
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
