package io.gatehouse.config;

import io.gatehouse.engine.TracingConfig;
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
 * @param sections          top-level sections owned by processor factories, bound to their records
 *                          (an absent section is bound as {@code {}}), by key
 * @param store             the store of recordings, approvals and rate limits ({@code store:})
 * @param directories       the files of the sub-directories processor factories own ({@code policies} …),
 *                          bound, by directory name, each list in file-name order
 * @param lifecycle         reload ({@code reload:}) and drain ({@code shutdown:}) settings
 * @param agentTunnel       the listener dialling agents connect to ({@code agentTunnel:}); null = none
 * @param tracing           OpenTelemetry traces ({@code tracing:}); default off
 */
public record GatewayConfig(Path directory, Map<String, ListenerConfig> listeners, AdminConfig admin,
                            Map<String, AgentConnectionConfig> agents, Path dataDirectory,
                            Optional<Path> pluginsDirectory, List<EndpointConfig> endpoints,
                            Map<String, Record> sections, StoreConfig store,
                            Map<String, List<io.gatehouse.spi.ConfigFile<?>>> directories,
                            LifecycleConfig lifecycle, AgentTunnelConfig agentTunnel, TracingConfig tracing) {

    public GatewayConfig {
        Checks.required("directory", directory);
        listeners = Collections.unmodifiableMap(new LinkedHashMap<>(listeners));
        Checks.required("admin", admin);
        agents = Collections.unmodifiableMap(new LinkedHashMap<>(agents));
        Checks.required("dataDirectory", dataDirectory);
        Checks.required("pluginsDirectory", pluginsDirectory);
        endpoints = List.copyOf(endpoints);
        sections = Collections.unmodifiableMap(new LinkedHashMap<>(sections));
        Checks.required("store", store);
        directories = Collections.unmodifiableMap(new LinkedHashMap<>(directories));
        lifecycle = lifecycle == null ? LifecycleConfig.defaults() : lifecycle;
        tracing = tracing == null ? TracingConfig.defaults() : tracing;
    }

    public GatewayConfig(Path directory, Map<String, ListenerConfig> listeners, AdminConfig admin,
                         Map<String, AgentConnectionConfig> agents, Path dataDirectory,
                         Optional<Path> pluginsDirectory, List<EndpointConfig> endpoints,
                         Map<String, Record> sections, StoreConfig store,
                         Map<String, List<io.gatehouse.spi.ConfigFile<?>>> directories,
                         LifecycleConfig lifecycle, AgentTunnelConfig agentTunnel) {
        this(directory, listeners, admin, agents, dataDirectory, pluginsDirectory, endpoints, sections, store,
                directories, lifecycle, agentTunnel, null);
    }

    /** The same config with this tracing block. */
    public GatewayConfig withTracing(TracingConfig settings) {
        return new GatewayConfig(directory, listeners, admin, agents, dataDirectory, pluginsDirectory, endpoints,
                sections, store, directories, lifecycle, agentTunnel, settings);
    }

    public GatewayConfig(Path directory, Map<String, ListenerConfig> listeners, AdminConfig admin,
                         Map<String, AgentConnectionConfig> agents, Path dataDirectory,
                         Optional<Path> pluginsDirectory, List<EndpointConfig> endpoints,
                         Map<String, Record> sections, StoreConfig store,
                         Map<String, List<io.gatehouse.spi.ConfigFile<?>>> directories) {
        this(directory, listeners, admin, agents, dataDirectory, pluginsDirectory, endpoints, sections, store,
                directories, LifecycleConfig.defaults(), null);
    }

    /** The same config with these reload and shutdown settings. */
    public GatewayConfig withLifecycle(LifecycleConfig settings) {
        return new GatewayConfig(directory, listeners, admin, agents, dataDirectory, pluginsDirectory, endpoints,
                sections, store, directories, settings, agentTunnel, tracing);
    }

    /** The same config with this agent tunnel (null = none). */
    public GatewayConfig withAgentTunnel(AgentTunnelConfig tunnel) {
        return new GatewayConfig(directory, listeners, admin, agents, dataDirectory, pluginsDirectory, endpoints,
                sections, store, directories, lifecycle, tunnel, tracing);
    }

    /** A config whose factories own no directories. */
    public GatewayConfig(Path directory, Map<String, ListenerConfig> listeners, AdminConfig admin,
                         Map<String, AgentConnectionConfig> agents, Path dataDirectory,
                         Optional<Path> pluginsDirectory, List<EndpointConfig> endpoints,
                         Map<String, Record> sections, StoreConfig store) {
        this(directory, listeners, admin, agents, dataDirectory, pluginsDirectory, endpoints, sections, store, Map.of());
    }

    /** The same config with these directory files. */
    public GatewayConfig withDirectories(Map<String, List<io.gatehouse.spi.ConfigFile<?>>> files) {
        return new GatewayConfig(directory, listeners, admin, agents, dataDirectory, pluginsDirectory, endpoints,
                sections, store, files, lifecycle, agentTunnel, tracing);
    }

    /** The bound files of a directory a processor factory owns ({@code policies} …); empty when none. */
    public List<io.gatehouse.spi.ConfigFile<?>> files(String directoryName) {
        return directories.getOrDefault(directoryName, List.of());
    }

    /** A config with the default store: an H2 file under {@code dataDirectory}. */
    public GatewayConfig(Path directory, Map<String, ListenerConfig> listeners, AdminConfig admin,
                         Map<String, AgentConnectionConfig> agents, Path dataDirectory,
                         Optional<Path> pluginsDirectory, List<EndpointConfig> endpoints,
                         Map<String, Record> sections) {
        this(directory, listeners, admin, agents, dataDirectory, pluginsDirectory, endpoints, sections,
                StoreConfig.defaults(dataDirectory));
    }

    /** A config without factory-owned sections. */
    public GatewayConfig(Path directory, Map<String, ListenerConfig> listeners, AdminConfig admin,
                         Map<String, AgentConnectionConfig> agents, Path dataDirectory,
                         Optional<Path> pluginsDirectory, List<EndpointConfig> endpoints) {
        this(directory, listeners, admin, agents, dataDirectory, pluginsDirectory, endpoints, Map.of());
    }

    /** The bound section a processor factory owns ({@code identity} …), if the loader knew that factory. */
    public Optional<Record> section(String key) {
        return Optional.ofNullable(sections.get(key));
    }

    /** The endpoint with that id. */
    public Optional<EndpointConfig> endpoint(String id) {
        return endpoints.stream().filter(e -> e.id().equals(id)).findFirst();
    }
}
