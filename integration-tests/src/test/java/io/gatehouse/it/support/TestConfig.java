package io.gatehouse.it.support;

import io.gatehouse.gateway.GatewayAssembly;
import io.gatehouse.gateway.route.GatewayRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** A gateway config directory written by a test. */
public final class TestConfig {

    /** The demo's policies, relative to this module (failsafe's working directory). */
    public static final Path DEMO_POLICIES = Path.of("../config/examples/demo/policies");

    private TestConfig() {
    }

    /** Copies the demo's policy files into {@code config/policies}. */
    public static void copyDemoPolicies(Path config) throws IOException {
        Path policies = Files.createDirectories(config.resolve("policies"));
        try (Stream<Path> files = Files.list(DEMO_POLICIES)) {
            for (Path f : files.toList()) {
                Files.copy(f, policies.resolve(f.getFileName()));
            }
        }
    }

    /**
     * Writes the {@code ollama} endpoint the demo's policies name (at {@code /ollama}, to {@code service}), for
     * stacks that copy those policies but test other endpoints.
     */
    public static void writeOllamaEndpoint(Path config, String service) throws IOException {
        TempDirs.write(config.resolve("endpoints").resolve("ollama.yaml"), "id: ollama\nlistener: http\n"
                + "path: /ollama\nprotocol: ollama\ntarget:\n  agent: local\n  service: " + service + "\n"
                + "  stripPath: true\npipeline:\n  - auth:\n      providers: [dev]\n  - policy: {}\n");
    }

    /** Loads {@code config}, or fails with all its errors. */
    public static GatewayAssembly.Loaded load(Path config) {
        // The gateway's own environment has no model key: only the agent was told.
        GatewayAssembly.Loaded loaded = GatewayAssembly.load(config, name -> null);
        if (!loaded.errors().isEmpty()) {
            throw new IllegalStateException("test config is invalid:\n" + String.join("\n", loaded.errors()));
        }
        return loaded;
    }

    /** Loads {@code config} and starts its gateway in this JVM. */
    public static GatewayRuntime startGateway(Path config) throws Exception {
        GatewayAssembly.Loaded loaded = load(config);
        return GatewayRuntime.start(loaded.config(), loaded.registry());
    }
}
