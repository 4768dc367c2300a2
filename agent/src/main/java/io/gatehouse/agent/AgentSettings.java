package io.gatehouse.agent;

import io.gatehouse.engine.TracingConfig;
import io.gatehouse.spi.ConfigException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The agent's settings, bound from {@code agent.yaml}.
 *
 * @param listen        where to listen; default 127.0.0.1:7443, or no listening port at all when {@code gateway}
 *                      is set and {@code listen} is not
 * @param tls           the server certificate and the client CA; null = development certificates
 *                      generated under {@code <dataDirectory>/certs}
 * @param dataDirectory where the agent keeps its files; default {@code ./data}
 * @param services      model servers by name; at least one
 * @param accessLog     the per-call access log; default enabled ({@link AccessLogConfig})
 * @param gateway       dial-out mode: the agent connects to the gateway's agent-tunnel listener; null = none
 * @param jwks          where the agent publishes the public keys of its per-request upstream tokens (a service's
 *                      {@code upstreamToken}); null = not published
 * @param tracing       OpenTelemetry traces ({@link TracingConfig}); default off
 */
public record AgentSettings(ListenConfig listen, TlsServerConfig tls, Path dataDirectory,
                            Map<String, ServiceConfig> services, AccessLogConfig accessLog, DialOutConfig gateway,
                            ListenConfig jwks, TracingConfig tracing) {

    public static final Path DEFAULT_DATA_DIRECTORY = Path.of("data");
    private static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    public AgentSettings {
        if (listen == null && gateway == null) {
            listen = ListenConfig.defaults();
        }
        if (dataDirectory == null) {
            dataDirectory = DEFAULT_DATA_DIRECTORY;
        }
        if (services == null || services.isEmpty()) {
            throw new ConfigException("services", "at least one service is required");
        }
        Map<String, ServiceConfig> copy = new LinkedHashMap<>();
        services.forEach((name, service) -> {
            if (name == null || !SERVICE_NAME.matcher(name).matches()) {
                throw new ConfigException("services", "'" + name
                        + "' is not a service name (expected letters, digits, '.', '_' or '-')");
            }
            if (service == null) {
                throw new ConfigException("services", "service '" + name + "' has no settings");
            }
            copy.put(name, service);
        });
        services = Collections.unmodifiableMap(copy);
        if (accessLog == null) {
            accessLog = AccessLogConfig.defaults();
        }
        if (tracing == null) {
            tracing = TracingConfig.defaults();
        }
        if (jwks == null) {
            for (Map.Entry<String, ServiceConfig> e : services.entrySet()) {
                if (e.getValue().upstreamToken() != null) {
                    throw new ConfigException("jwks", "is required: service '" + e.getKey() + "' has an upstreamToken,"
                            + " whose public key model servers fetch from the agent (e.g. jwks: {host: 0.0.0.0, port: 7445})");
                }
            }
        }
    }

    /** Settings without tracing (off). */
    public AgentSettings(ListenConfig listen, TlsServerConfig tls, Path dataDirectory, Map<String, ServiceConfig> services,
                         AccessLogConfig accessLog, DialOutConfig gateway, ListenConfig jwks) {
        this(listen, tls, dataDirectory, services, accessLog, gateway, jwks, null);
    }

    /** Settings of a listening agent. */
    public AgentSettings(ListenConfig listen, TlsServerConfig tls, Path dataDirectory, Map<String, ServiceConfig> services,
                         AccessLogConfig accessLog) {
        this(listen, tls, dataDirectory, services, accessLog, null, null);
    }

    /** True when the agent has a listening port (the gateway dials it). */
    public boolean listens() {
        return listen != null;
    }

    /** Settings with the default access log. */
    public AgentSettings(ListenConfig listen, TlsServerConfig tls, Path dataDirectory, Map<String, ServiceConfig> services) {
        this(listen, tls, dataDirectory, services, null);
    }
}
