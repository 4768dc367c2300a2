package io.gatehouse.config;

import io.gatehouse.spi.ConfigException;
import java.util.List;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * The shape of one {@code endpoints/*.yaml} file, as written. Pipeline steps stay raw nodes here:
 * {@link ConfigLoader} binds each to its step's config record.
 */
record EndpointYaml(String id, String listener, String path, List<String> models, Boolean serverCalls,
                    Protocol protocol, TargetConfig target, List<Node> pipeline) {

    static final String DEFAULT_LISTENER = "http";

    EndpointYaml {
        Checks.required("id", id);
        if (!id.matches(EndpointConfig.ID_PATTERN)) {
            throw new ConfigException("id", "value " + Nodes.quote(id)
                    + " (expected: lower-case letters, digits and '-', starting with a letter or digit, at most 63 characters)");
        }
        listener = listener == null ? DEFAULT_LISTENER : listener;
        // Whether a path is required depends on the listener (HTTP: yes; gRPC: no): see CrossChecks.
        if (path != null && !isPathPrefix(path)) {
            throw new ConfigException("path", "value " + Nodes.quote(path)
                    + " (expected: a path prefix like /v1: starts with '/', no trailing '/', no query)");
        }
        models = models == null ? List.of() : List.copyOf(models);
        for (String model : models) {
            if (model == null || model.isBlank() || model.chars().anyMatch(Character::isWhitespace)) {
                throw new ConfigException("models", "value " + Nodes.quote(String.valueOf(model))
                        + " (expected: a model name or glob like demo-* without spaces)");
            }
        }
        serverCalls = serverCalls != null && serverCalls;
        Checks.required("protocol", protocol);
        Checks.required("target", target);
        pipeline = pipeline == null ? List.of() : pipeline;
    }

    private static boolean isPathPrefix(String path) {
        return path.startsWith("/") && (path.equals("/") || !path.endsWith("/"))
                && path.chars().noneMatch(c -> c == '?' || c == '#' || Character.isWhitespace(c));
    }
}
