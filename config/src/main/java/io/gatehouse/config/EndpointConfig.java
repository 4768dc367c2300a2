package io.gatehouse.config;

import io.gatehouse.spi.ConfigException;

import java.util.List;

/**
 * One endpoint, from one file under {@code endpoints/}.
 *
 * @param id       unique id, {@value #ID_PATTERN}
 * @param listener the name of the listener it is served on
 * @param path     path prefix: starts with {@code /}, no trailing {@code /} (except {@code /} itself), no query;
 *                 null for an endpoint on a gRPC listener, which is chosen by model instead
 * @param models   on a gRPC listener: the models (names or globs) whose calls this endpoint serves
 * @param serverCalls on a gRPC listener: whether calls naming no model (ServerLive, ServerReady,
 *                 ServerMetadata, RepositoryIndex) come to this endpoint
 * @param protocol a {@link Protocol} id, e.g. {@code openai}
 * @param target   the agent and service requests go to
 * @param pipeline the steps, in request order
 * @param file     the file it came from, relative to the config directory, e.g. {@code endpoints/chat.yaml}
 */
public record EndpointConfig(String id, String listener, String path, List<String> models, boolean serverCalls,
                             String protocol, TargetConfig target, List<StepConfig> pipeline, String file) {

    public static final String ID_PATTERN = "^[a-z0-9][a-z0-9-]{0,62}$";

    public EndpointConfig {
        Checks.required("id", id);
        Checks.required("listener", listener);
        models = models == null ? List.of() : List.copyOf(models);
        if (path == null && models.isEmpty() && !serverCalls) {
            throw new ConfigException("path", "is required (a gRPC endpoint names its models instead)");
        }
        Checks.required("protocol", protocol);
        Checks.required("target", target);
        pipeline = List.copyOf(pipeline);
        Checks.required("file", file);
    }

    /** An endpoint on an HTTP listener, chosen by path. */
    public EndpointConfig(String id, String listener, String path, String protocol, TargetConfig target,
                          List<StepConfig> pipeline, String file) {
        this(id, listener, path, List.of(), false, protocol, target, pipeline, file);
    }
}
