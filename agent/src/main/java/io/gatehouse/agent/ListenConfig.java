package io.gatehouse.agent;

import io.gatehouse.spi.ConfigException;

/**
 * Where the agent listens for the gateway.
 *
 * @param host address to bind; default {@code 127.0.0.1}
 * @param port TCP port; default {@code 7443}; {@code 0} picks a free port
 */
public record ListenConfig(String host, Integer port) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 7443;

    public ListenConfig {
        if (host == null) {
            host = DEFAULT_HOST;
        } else if (host.isBlank()) {
            throw new ConfigException("host", "must not be blank (expected an address such as 127.0.0.1 or 0.0.0.0)");
        }
        if (port == null) {
            port = DEFAULT_PORT;
        } else if (port < 0 || port > 65535) {
            throw new ConfigException("port", "must be between 0 and 65535, got " + port);
        }
    }

    /** The defaults: 127.0.0.1:7443. */
    public static ListenConfig defaults() {
        return new ListenConfig(null, null);
    }
}
