package io.gatehouse.config;

import io.gatehouse.spi.ConfigException;

import io.gatehouse.spi.ByteSize;

/**
 * An inbound listener from {@code gateway.yaml}.
 *
 * @param host           the address to bind, default {@value #DEFAULT_HOST}
 * @param port           the port, default {@value #DEFAULT_PORT}; 0 picks a free port
 * @param maxBodyBytes   hard cap on a request body, enforced by the listener before any step; default 10MiB
 * @param maxHeaderBytes cap on the request line and headers; default 32KiB. On a gRPC listener: the
 *                       cap on a call's metadata
 * @param protocol       what the listener speaks: {@code http} (HTTP/1.1, endpoints chosen by path; the
 *                       default) or {@code grpc} (HTTP/2 cleartext, {@code inference.GRPCInferenceService},
 *                       endpoints chosen by model; {@code maxBodyBytes} caps each message)
 * @param http2          on a gRPC listener: what one HTTP/2 connection may do ({@link Http2Limits});
 *                       absent = the defaults
 */
public record ListenerConfig(String host, int port, ByteSize maxBodyBytes, ByteSize maxHeaderBytes,
                             ListenerProtocol protocol, Http2Limits http2) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final ByteSize DEFAULT_MAX_BODY_BYTES = ByteSize.ofBytes(10L * 1024 * 1024);
    public static final ByteSize DEFAULT_MAX_HEADER_BYTES = ByteSize.ofBytes(32L * 1024);

    public ListenerConfig {
        protocol = protocol == null ? ListenerProtocol.HTTP : protocol;
        Checks.host("host", host);
        Checks.port("port", port);
        Checks.positive("maxBodyBytes", maxBodyBytes);
        Checks.positive("maxHeaderBytes", maxHeaderBytes);
        if (protocol == ListenerProtocol.GRPC && maxBodyBytes.bytes() > Integer.MAX_VALUE) {
            throw new ConfigException("maxBodyBytes", "a gRPC message can be at most 2GiB, got " + maxBodyBytes);
        }
        http2 = http2 == null ? Http2Limits.defaults() : http2;
    }

    /** A listener with the default HTTP/2 limits. */
    public ListenerConfig(String host, int port, ByteSize maxBodyBytes, ByteSize maxHeaderBytes,
                          ListenerProtocol protocol) {
        this(host, port, maxBodyBytes, maxHeaderBytes, protocol, null);
    }

    /** An HTTP listener. */
    public ListenerConfig(String host, int port, ByteSize maxBodyBytes, ByteSize maxHeaderBytes) {
        this(host, port, maxBodyBytes, maxHeaderBytes, ListenerProtocol.HTTP);
    }

    public boolean grpc() {
        return protocol == ListenerProtocol.GRPC;
    }

    /** The same listener on another port (a port 0 resolved). */
    public ListenerConfig withPort(int port) {
        return new ListenerConfig(host, port, maxBodyBytes, maxHeaderBytes, protocol, http2);
    }
}
