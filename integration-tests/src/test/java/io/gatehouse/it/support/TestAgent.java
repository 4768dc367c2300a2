package io.gatehouse.it.support;

import io.gatehouse.agent.AgentServer;
import io.gatehouse.agent.AgentSettings;
import io.gatehouse.config.LoadResult;
import io.gatehouse.config.YamlFiles;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Function;

/**
 * An agent on loopback whose services all send one model key. Only the agent's env holds the key,
 * so a test can check that nothing else ever sees it.
 */
public final class TestAgent {

    private TestAgent() {
    }

    /** A fresh random model key. */
    public static String randomKey() {
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        return "sk-it-" + HexFormat.of().formatHex(random);
    }

    /**
     * Writes {@code agentYaml} for {@code services} (name to url, in map order) and starts the agent.
     * Each service sends {@code Authorization: Bearer <key>}, read from {@code keyVariable}.
     */
    public static AgentServer start(Path agentYaml, Path data, Map<String, URI> services, String keyVariable,
                                    String key) throws IOException {
        return start(agentYaml, data, services, keyVariable, key, "");
    }

    /**
     * As {@link #start(Path, Path, Map, String, String)}, with {@code serviceYaml} (keys indented by four
     * spaces, e.g. {@code "    responseTimeout: 2s\n"}) added to every service.
     */
    public static AgentServer start(Path agentYaml, Path data, Map<String, URI> services, String keyVariable,
                                    String key, String serviceYaml) throws IOException {
        return start(agentYaml, data, services, keyVariable, key, serviceYaml, "");
    }

    /**
     * As {@link #start(Path, Path, Map, String, String, String)}, with {@code topYaml} (top-level keys, e.g. a
     * {@code tracing:} block) added to agent.yaml.
     */
    public static AgentServer start(Path agentYaml, Path data, Map<String, URI> services, String keyVariable,
                                    String key, String serviceYaml, String topYaml) throws IOException {
        StringBuilder yaml = new StringBuilder(topYaml)
                .append("listen:\n  host: 127.0.0.1\n  port: 0\n")
                .append("dataDirectory: ").append(data).append('\n')
                .append("services:\n");
        services.forEach((name, url) -> yaml.append("  ").append(name).append(":\n")
                .append("    url: ").append(url).append('\n')
                .append("    credential:\n")
                .append("      header: Authorization\n")
                .append("      scheme: Bearer\n")
                .append("      secret: env:").append(keyVariable).append('\n')
                .append(serviceYaml));
        TempDirs.write(agentYaml, yaml.toString());
        Function<String, String> env = name -> keyVariable.equals(name) ? key : null;
        LoadResult<AgentSettings> settings = YamlFiles.bind(agentYaml, AgentSettings.class, env,
                Map.of("services", "service"));
        if (!settings.isValid()) {
            throw new IllegalStateException("test agent.yaml is invalid: " + settings.formattedErrors());
        }
        return AgentServer.start(settings.orThrow());
    }
}
