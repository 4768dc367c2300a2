package io.gatehouse.config;

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
                   String dataDirectory, Plugins plugins, Store store) {

    static final String DEFAULT_DATA_DIRECTORY = "./data";
    /** Error nouns for map entries: {@code listener 'http' field 'port'}. */
    static final Map<String, String> LABELS = Map.of("listeners", "listener", "agents", "agent");

    GatewayYaml {
        if (listeners == null || listeners.isEmpty()) {
            throw new ConfigException("listeners", "at least one listener is required, e.g. listeners: {http: {port: 8080}}");
        }
        admin = admin == null ? new Admin(null, null, null, null) : admin;
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
        store = store == null ? new Store(null, null, null, null, null, null, null, null) : store;
    }

    record Listener(String host, Integer port, ByteSize maxBodyBytes, ByteSize maxHeaderBytes,
                    ListenerProtocol protocol, Http2Limits http2) {
        Listener {
            host = host == null ? ListenerConfig.DEFAULT_HOST : host;
            port = port == null ? ListenerConfig.DEFAULT_PORT : port;
            maxBodyBytes = maxBodyBytes == null ? ListenerConfig.DEFAULT_MAX_BODY_BYTES : maxBodyBytes;
            maxHeaderBytes = maxHeaderBytes == null ? ListenerConfig.DEFAULT_MAX_HEADER_BYTES : maxHeaderBytes;
            protocol = protocol == null ? ListenerProtocol.HTTP : protocol;
            if (http2 != null && protocol != ListenerProtocol.GRPC) {
                throw new ConfigException("http2", "is only for a listener with protocol: grpc (this one speaks HTTP/1.1)");
            }
            new ListenerConfig(host, port, maxBodyBytes, maxHeaderBytes, protocol, http2); // validates, naming the field
        }

        ListenerConfig toConfig() {
            return new ListenerConfig(host, port, maxBodyBytes, maxHeaderBytes, protocol, http2);
        }
    }

    /** {@code auth} is the {@code auth} step's config, bound by {@link ConfigLoader} to that step's record. */
    record Admin(String host, Integer port, org.snakeyaml.engine.v2.nodes.Node auth, java.util.List<String> auditors) {
        Admin {
            host = host == null ? AdminConfig.DEFAULT_HOST : host;
            port = port == null ? AdminConfig.DEFAULT_PORT : port;
            new AdminConfig(host, port, java.util.Optional.empty(), auditors); // validates, naming the field
        }

        AdminConfig toConfig() {
            return new AdminConfig(host, port, java.util.Optional.empty(), auditors);
        }
    }

    /** {@code store:}; see {@link StoreConfig}. Absent keys take the defaults there. */
    record Store(String url, String username, io.gatehouse.spi.Secret password, Integer poolSize,
                 StoreConfig.OnFailure onStoreFailure, String replicaId, Integer checkpointEvery,
                 java.time.Duration checkpointInterval) {
        Store {
            config(url, username, password, poolSize, onStoreFailure, replicaId, checkpointEvery, checkpointInterval,
                    Path.of(".")); // validates, naming the field
        }

        StoreConfig toConfig(Path dataDirectory) {
            return config(url, username, password, poolSize, onStoreFailure, replicaId, checkpointEvery,
                    checkpointInterval, dataDirectory);
        }

        private static StoreConfig config(String url, String username, io.gatehouse.spi.Secret password,
                                          Integer poolSize, StoreConfig.OnFailure onStoreFailure, String replicaId,
                                          Integer checkpointEvery, java.time.Duration checkpointInterval,
                                          Path dataDirectory) {
            return new StoreConfig(url == null ? StoreConfig.defaultUrl(dataDirectory) : url, username, password,
                    poolSize == null ? StoreConfig.DEFAULT_POOL_SIZE : poolSize,
                    onStoreFailure == null ? StoreConfig.OnFailure.FAIL_CLOSED : onStoreFailure, replicaId,
                    checkpointEvery == null ? StoreConfig.DEFAULT_CHECKPOINT_EVERY : checkpointEvery,
                    checkpointInterval == null ? StoreConfig.DEFAULT_CHECKPOINT_INTERVAL : checkpointInterval);
        }
    }

    /** {@code address} is {@code host:port}; an IPv6 host is written in brackets, {@code [::1]:7443}. */
    record Agent(String address, TlsClientConfig tls) {
        Agent {
            Checks.required("address", address);
            hostAndPort(address);
        }

        AgentConnectionConfig toConfig(String name) {
            String[] hostPort = hostAndPort(address);
            return new AgentConnectionConfig(name, hostPort[0], Integer.parseInt(hostPort[1]), tls);
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
