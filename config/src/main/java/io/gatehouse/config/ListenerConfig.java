package io.gatehouse.config;

import io.gatehouse.spi.ByteSize;

/**
 * An inbound listener from {@code gateway.yaml}.
 *
 * @param host           the address to bind, default {@value #DEFAULT_HOST}
 * @param port           the port, default {@value #DEFAULT_PORT}; 0 picks a free port
 * @param maxBodyBytes   hard cap on a request body, enforced by the listener before any step; default 10MiB
 * @param maxHeaderBytes cap on the request line and headers; default 32KiB
 */
public record ListenerConfig(String host, int port, ByteSize maxBodyBytes, ByteSize maxHeaderBytes) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final ByteSize DEFAULT_MAX_BODY_BYTES = ByteSize.ofBytes(10L * 1024 * 1024);
    public static final ByteSize DEFAULT_MAX_HEADER_BYTES = ByteSize.ofBytes(32L * 1024);

    public ListenerConfig {
        Checks.host("host", host);
        Checks.port("port", port);
        Checks.positive("maxBodyBytes", maxBodyBytes);
        Checks.positive("maxHeaderBytes", maxHeaderBytes);
    }
}
