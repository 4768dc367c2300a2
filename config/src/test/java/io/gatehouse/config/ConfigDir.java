package io.gatehouse.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Writes a config directory for a test, starting from a valid gateway.yaml and no endpoints. */
final class ConfigDir {

    static final String GATEWAY = """
            listeners:
              http:
                port: 8080
            agents:
              local:
                address: 127.0.0.1:7443
            """;

    final Path root;
    private Map<String, String> env = Map.of();

    ConfigDir(Path root) {
        this.root = root;
        write("gateway.yaml", GATEWAY);
    }

    /** An endpoint file with the given id and path, target local/demo-model, and the pipeline lines as written. */
    static String endpoint(String id, String path, String... pipeline) {
        StringBuilder b = new StringBuilder()
                .append("id: ").append(id).append('\n')
                .append("path: ").append(path).append('\n')
                .append("protocol: openai\n")
                .append("target:\n  agent: local\n  service: demo-model\n");
        if (pipeline.length > 0) {
            b.append("pipeline:\n");
            for (String line : pipeline) {
                b.append(line).append('\n');
            }
        }
        return b.toString();
    }

    ConfigDir write(String file, String content) {
        try {
            Path path = root.resolve(file);
            Files.createDirectories(path.getParent());
            Files.writeString(path, content);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ConfigDir delete(String file) {
        try {
            Files.delete(root.resolve(file));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ConfigDir env(Map<String, String> env) {
        this.env = env;
        return this;
    }

    LoadResult<GatewayConfig> load() {
        return new ConfigLoader(TestSteps.CATALOGUE, env::get).load(root);
    }

    /** The formatted errors; fails when the config loaded. */
    List<String> errors() {
        LoadResult<GatewayConfig> result = load();
        if (result.isValid()) {
            throw new AssertionError("expected errors, but the config loaded: " + result.orThrow());
        }
        return result.formattedErrors();
    }
}
