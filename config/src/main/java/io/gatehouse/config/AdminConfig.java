package io.gatehouse.config;

/**
 * The admin listener (health, metrics, admin API) from {@code gateway.yaml}.
 *
 * @param host the address to bind, default {@value #DEFAULT_HOST}
 * @param port the port, default {@value #DEFAULT_PORT}; 0 picks a free port
 */
public record AdminConfig(String host, int port) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8081;

    public AdminConfig {
        Checks.host("host", host);
        Checks.port("port", port);
    }

    public static AdminConfig defaults() {
        return new AdminConfig(DEFAULT_HOST, DEFAULT_PORT);
    }
}
