package io.gatehouse.config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A whole, valid config directory. Maps keep the order of the files.
 *
 * @param directory         the config directory, absolute
 * @param listeners         listener name to listener; at least one
 * @param admin             the admin listener
 * @param agents            agent name to how it is reached; at least one
 * @param dataDirectory     where the gateway keeps its data, absolute
 * @param pluginsDirectory  where extra processor jars are, absolute, if configured
 * @param endpoints         the endpoints, ordered by file name
 */
public record GatewayConfig(Path directory, Map<String, ListenerConfig> listeners, AdminConfig admin,
                            Map<String, AgentConnectionConfig> agents, Path dataDirectory,
                            Optional<Path> pluginsDirectory, List<EndpointConfig> endpoints) {

    public GatewayConfig {
        Checks.required("directory", directory);
        listeners = Collections.unmodifiableMap(new LinkedHashMap<>(listeners));
        Checks.required("admin", admin);
        agents = Collections.unmodifiableMap(new LinkedHashMap<>(agents));
        Checks.required("dataDirectory", dataDirectory);
        Checks.required("pluginsDirectory", pluginsDirectory);
        endpoints = List.copyOf(endpoints);
    }

    /** The endpoint with that id. */
    public Optional<EndpointConfig> endpoint(String id) {
        return endpoints.stream().filter(e -> e.id().equals(id)).findFirst();
    }
}
