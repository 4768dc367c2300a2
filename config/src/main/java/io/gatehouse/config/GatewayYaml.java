package io.gatehouse.config;

import io.gatehouse.engine.TracingConfig;
import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ConfigException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The shape of {@code gateway.yaml}, as written: boxed components so absent keys take their defaults
 * here. The binder and the JSON Schema both read these records; {@link ConfigLoader} turns them into
 * the public config records.
 */
record GatewayYaml(Map<String, Listener> listeners, Admin admin, Map<String, Agent> agents,
                   String dataDirectory, Plugins plugins, Store store, Reload reload, Shutdown shutdown,
                   AgentTunnel agentTunnel, TracingConfig tracing) {

    static final String DEFAULT_DATA_DIRECTORY = "./data";
    /** Error nouns for map entries: {@code listener 'http' field 'port'}. */
    static final Map<String, String> LABELS = Map.of("listeners", "listener", "agents", "agent");

    GatewayYaml {
        if (listeners == null || listeners.isEmpty()) {
            throw new ConfigException("listeners", "at least one listener is required, e.g. listeners: {http: {port: 8080}}");
        }
        admin = admin == null ? new Admin(null, null, null, null, null, null) : admin;
        if (agents == null || agents.isEmpty()) {
            throw new ConfigException("agents", "at least one agent is required, e.g. agents: {local: {address: 127.0.0.1:7443}}");
        }
        dataDirectory = dataDirectory == null ? DEFAULT_DATA_DIRECTORY : dataDirectory;
        try {
            Path.of(dataDirectory);
        } catch (InvalidPathException e) {
            throw new ConfigException("dataDirectory", "value " + Nodes.quote(dataDirectory) + " (expected: a path)");
        }
        plugins = plugins == null ? new Plugins(null) : plugins;
        store = store == null ? new Store(null, null, null, null, null, null, null, null, null) : store;
        reload = reload == null ? new Reload(null, null) : reload;
        shutdown = shutdown == null ? new Shutdown(null, null) : shutdown;
        tracing = tracing == null ? TracingConfig.defaults() : tracing;
        Map<String, String> pinned = new java.util.HashMap<>();
        for (Map.Entry<String, Agent> a : agents.entrySet()) {
            if (a.getValue() == null) {
                continue;
            }
            for (String identity : a.getValue().identities()) {
                if (agentTunnel == null) {
                    throw new ConfigException("agentTunnel", "is required when agents." + a.getKey()
                            + ".identities is set (the listener dialling agents connect to), e.g. agentTunnel: {port: 7444}");
                }
                String other = pinned.put(identity, a.getKey());
                if (other != null) {
                    throw new ConfigException("agents", "identity '" + identity + "' is pinned to both agent '" + other
                            + "' and agent '" + a.getKey() + "' (an agent certificate serves one name)");
                }
            }
        }
    }

    /** {@code reload:}; see {@link LifecycleConfig}. */
    record Reload(Boolean watch, java.time.Duration watchDelay) {
        Reload {
            watch = watch != null && watch;
            watchDelay = watchDelay == null ? java.time.Duration.ofMillis(LifecycleConfig.DEFAULT_WATCH_DELAY_MS)
                    : watchDelay;
            if (watchDelay.isNegative() || watchDelay.compareTo(java.time.Duration.ofMinutes(10)) > 0) {
                throw new ConfigException("watchDelay", "value " + written(watchDelay)
                        + " (expected: between 0s and 10m)");
            }
        }
    }

    /** {@code shutdown:}; see {@link LifecycleConfig}. */
    record Shutdown(java.time.Duration drainDelay, java.time.Duration drainTimeout) {
        Shutdown {
            drainDelay = drainDelay == null ? LifecycleConfig.DEFAULT_DRAIN_DELAY : drainDelay;
            drainTimeout = drainTimeout == null ? LifecycleConfig.DEFAULT_DRAIN_TIMEOUT : drainTimeout;
            for (java.util.Map.Entry<String, java.time.Duration> d : java.util.Map.of("drainDelay", drainDelay,
                    "drainTimeout", drainTimeout).entrySet()) {
                if (d.getValue().isNegative() || d.getValue().compareTo(java.time.Duration.ofHours(1)) > 0) {
                    throw new ConfigException(d.getKey(), "value " + written(d.getValue())
                            + " (expected: between 0s and 1h)");
                }
            }
        }
    }

    private static String written(java.time.Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    LifecycleConfig lifecycle() {
        return new LifecycleConfig(reload.watch(), reload.watchDelay(), shutdown.drainDelay(), shutdown.drainTimeout());
    }

    /** {@code agentTunnel:}; see {@link AgentTunnelConfig}. */
    record AgentTunnel(String host, Integer port, AgentTunnelConfig.TlsServerSideConfig tls, java.time.Duration slotWait) {
        AgentTunnel {
            host = host == null ? AgentTunnelConfig.DEFAULT_HOST : host;
            port = port == null ? AgentTunnelConfig.DEFAULT_PORT : port;
            slotWait = slotWait == null ? AgentTunnelConfig.DEFAULT_SLOT_WAIT : slotWait;
            new AgentTunnelConfig(host, port, tls, slotWait); // validates, naming the field
        }

        AgentTunnelConfig toConfig() {
            return new AgentTunnelConfig(host, port, tls, slotWait);
        }
    }

    record Listener(String host, Integer port, ByteSize maxBodyBytes, ByteSize maxHeaderBytes,
                    ListenerProtocol protocol, java.time.Duration headerReadTimeout,
                    java.time.Duration bodyReadTimeout, java.time.Duration idleTimeout, Integer maxConnections,
                    Http2Limits http2, Integer refusalRecordsPerSecond, Integer eventLoops) {
        Listener {
            host = host == null ? ListenerConfig.DEFAULT_HOST : host;
            port = port == null ? ListenerConfig.DEFAULT_PORT : port;
            maxBodyBytes = maxBodyBytes == null ? ListenerConfig.DEFAULT_MAX_BODY_BYTES : maxBodyBytes;
            maxHeaderBytes = maxHeaderBytes == null ? ListenerConfig.DEFAULT_MAX_HEADER_BYTES : maxHeaderBytes;
            protocol = protocol == null ? ListenerProtocol.HTTP : protocol;
            maxConnections = maxConnections == null ? ListenerConfig.DEFAULT_MAX_CONNECTIONS : maxConnections;
            refusalRecordsPerSecond = refusalRecordsPerSecond == null
                    ? ListenerConfig.DEFAULT_REFUSAL_RECORDS_PER_SECOND : refusalRecordsPerSecond;
            eventLoops = eventLoops == null ? ListenerConfig.EVENT_LOOPS_PER_CPU : eventLoops;
            if (http2 != null && protocol != ListenerProtocol.GRPC) {
                throw new ConfigException("http2", "is only for a listener with protocol: grpc (this one speaks HTTP/1.1)");
            }
            new ListenerConfig(host, port, maxBodyBytes, maxHeaderBytes, protocol, headerReadTimeout, bodyReadTimeout,
                    idleTimeout, maxConnections, http2, refusalRecordsPerSecond, eventLoops); // validates, naming the field
        }

        ListenerConfig toConfig() {
            return new ListenerConfig(host, port, maxBodyBytes, maxHeaderBytes, protocol, headerReadTimeout,
                    bodyReadTimeout, idleTimeout, maxConnections, http2, refusalRecordsPerSecond, eventLoops);
        }
    }

    /** {@code auth} is the {@code auth} step's config, bound by {@link ConfigLoader} to that step's record. */
    record Admin(String host, Integer port, org.snakeyaml.engine.v2.nodes.Node auth, java.util.List<String> auditors,
                 Console console, java.util.List<String> replayers) {
        Admin {
            host = host == null ? AdminConfig.DEFAULT_HOST : host;
            port = port == null ? AdminConfig.DEFAULT_PORT : port;
            new AdminConfig(host, port, java.util.Optional.empty(), auditors, java.util.Optional.empty(),
                    replayers); // validates, naming the field
        }

        AdminConfig toConfig() {
            return new AdminConfig(host, port, java.util.Optional.empty(), auditors,
                    java.util.Optional.ofNullable(console).map(Console::toConfig), replayers);
        }
    }

    /** {@code admin.console:}; see {@link ConsoleConfig}. */
    record Console(java.net.URI issuer, String clientId, java.util.List<String> approvers,
                   java.time.Duration sessionTtl, Integer maxSessions, java.net.URI publicUrl,
                   java.util.List<String> stepUpAcrValues, Integer maxEventStreams) {
        Console {
            toConfig(issuer, clientId, approvers, sessionTtl, maxSessions, publicUrl, stepUpAcrValues,
                    maxEventStreams); // validates
        }

        ConsoleConfig toConfig() {
            return toConfig(issuer, clientId, approvers, sessionTtl, maxSessions, publicUrl, stepUpAcrValues,
                    maxEventStreams);
        }

        private static ConsoleConfig toConfig(java.net.URI issuer, String clientId, java.util.List<String> approvers,
                                              java.time.Duration sessionTtl, Integer maxSessions,
                                              java.net.URI publicUrl, java.util.List<String> stepUpAcrValues,
                                              Integer maxEventStreams) {
            return new ConsoleConfig(issuer, clientId, approvers, sessionTtl,
                    maxSessions == null ? ConsoleConfig.DEFAULT_MAX_SESSIONS : maxSessions,
                    java.util.Optional.ofNullable(publicUrl), stepUpAcrValues,
                    maxEventStreams == null ? ConsoleConfig.DEFAULT_MAX_EVENT_STREAMS : maxEventStreams);
        }
    }

    /** {@code store:}; see {@link StoreConfig}. Absent keys take the defaults there. */
    record Store(String url, String username, io.gatehouse.spi.Secret password, Integer poolSize,
                 StoreConfig.OnFailure onStoreFailure, String replicaId, Integer checkpointEvery,
                 java.time.Duration checkpointInterval, java.time.Duration approvalPollInterval) {
        Store {
            // The components, not the fields: a compact constructor assigns those only at its end.
            config(url, username, password, poolSize, onStoreFailure, replicaId, checkpointEvery, checkpointInterval,
                    approvalPollInterval, Path.of(".")); // validates, naming the field
        }

        StoreConfig toConfig(Path dataDirectory) {
            return config(url, username, password, poolSize, onStoreFailure, replicaId, checkpointEvery,
                    checkpointInterval, approvalPollInterval, dataDirectory);
        }

        private static StoreConfig config(String url, String username, io.gatehouse.spi.Secret password,
                                          Integer poolSize, StoreConfig.OnFailure onStoreFailure, String replicaId,
                                          Integer checkpointEvery, java.time.Duration checkpointInterval,
                                          java.time.Duration approvalPollInterval, Path dataDirectory) {
            return new StoreConfig(url == null ? StoreConfig.defaultUrl(dataDirectory) : url, username, password,
                    poolSize == null ? StoreConfig.DEFAULT_POOL_SIZE : poolSize,
                    onStoreFailure == null ? StoreConfig.OnFailure.FAIL_CLOSED : onStoreFailure, replicaId,
                    checkpointEvery == null ? StoreConfig.DEFAULT_CHECKPOINT_EVERY : checkpointEvery,
                    checkpointInterval == null ? StoreConfig.DEFAULT_CHECKPOINT_INTERVAL : checkpointInterval,
                    approvalPollInterval == null ? StoreConfig.DEFAULT_APPROVAL_POLL_INTERVAL : approvalPollInterval);
        }
    }

    /**
     * {@code address} is {@code host:port}; an IPv6 host is written in brackets, {@code [::1]:7443}. More listening
     * agents of the same name go in {@code addresses}; agents that dial in are named by their certificate
     * identities in {@code identities}. At least one of them.
     */
    record Agent(String address, java.util.List<String> addresses, TlsClientConfig tls, java.util.List<String> identities) {
        Agent {
            addresses = addresses == null ? java.util.List.of() : java.util.List.copyOf(addresses);
            identities = identities == null ? java.util.List.of() : java.util.List.copyOf(identities);
            if (address == null && addresses.isEmpty() && identities.isEmpty()) {
                throw new ConfigException("address", "is required (a listening agent's host:port, like 127.0.0.1:7443),"
                        + " or identities: [...] of agents that dial in");
            }
            if (address != null) {
                hostAndPort(address);
            }
            for (String a : addresses) {
                try {
                    hostAndPort(a);
                } catch (ConfigException e) {
                    throw new ConfigException("addresses", e.getMessage());
                }
            }
            for (String identity : identities) {
                if (identity == null || identity.isBlank()) {
                    throw new ConfigException("identities", "an identity must not be blank (a certificate's common name)");
                }
            }
        }

        AgentConnectionConfig toConfig(String name) {
            java.util.List<AgentConnectionConfig.Address> all = new java.util.ArrayList<>();
            if (address != null) {
                String[] hostPort = hostAndPort(address);
                all.add(new AgentConnectionConfig.Address(hostPort[0], Integer.parseInt(hostPort[1])));
            }
            for (String a : addresses) {
                String[] hostPort = hostAndPort(a);
                all.add(new AgentConnectionConfig.Address(hostPort[0], Integer.parseInt(hostPort[1])));
            }
            return new AgentConnectionConfig(name, all, tls, identities);
        }

        private static String[] hostAndPort(String address) {
            int colon = address.lastIndexOf(':');
            String host = colon < 0 ? "" : address.substring(0, colon);
            String port = colon < 0 ? "" : address.substring(colon + 1);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            if (host.isEmpty() || host.contains(":") && !address.startsWith("[")
                    || !port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                throw new ConfigException("address",
                        "value " + Nodes.quote(address) + " (expected: host:port, like 127.0.0.1:7443)");
            }
            return new String[] {host, port};
        }
    }

    record Plugins(Path directory) {
    }
}
