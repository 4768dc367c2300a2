package io.gatehouse.config;

import io.gatehouse.spi.ConfigException;

import io.gatehouse.spi.ByteSize;
import java.time.Duration;

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
 * @param headerReadTimeout the most a client may take to send a request's line and headers, counted from
 *                       its first byte; default {@value #DEFAULT_HEADER_READ_TIMEOUT_TEXT} (slowloris)
 * @param bodyReadTimeout the most a client may take to send a request's body, counted from the end of its
 *                       headers; default {@value #DEFAULT_BODY_READ_TIMEOUT_TEXT}
 * @param idleTimeout    how long a kept-alive connection may sit with no request in progress, and how long
 *                       an answer may wait for a client that does not read it; default
 *                       {@value #DEFAULT_IDLE_TIMEOUT_TEXT}
 * @param maxConnections the most connections this listener holds open at once; one more is answered 503
 *                       and closed; default {@value #DEFAULT_MAX_CONNECTIONS}
 * @param http2          on a gRPC listener: what one HTTP/2 connection may do ({@link Http2Limits});
 *                       absent = the defaults
 * @param refusalRecordsPerSecond on an HTTP listener: how many of the requests and connections it refuses
 *                       itself (before any endpoint) are written to the audit chain one by one in each second;
 *                       the others are counted into one summary record per second; default
 *                       {@value #DEFAULT_REFUSAL_RECORDS_PER_SECOND}, 0 = summaries only
 * @param eventLoops     on an HTTP listener: how many Netty event loops (threads) serve its connections; each
 *                       request runs on its connection's loop, and so does the agent call it makes; default 0 =
 *                       one per CPU. More loops than CPUs only add thread switches (bench/README.md, run 12)
 */
public record ListenerConfig(String host, int port, ByteSize maxBodyBytes, ByteSize maxHeaderBytes,
                             ListenerProtocol protocol, Duration headerReadTimeout, Duration bodyReadTimeout,
                             Duration idleTimeout, int maxConnections, Http2Limits http2,
                             int refusalRecordsPerSecond, int eventLoops) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final ByteSize DEFAULT_MAX_BODY_BYTES = ByteSize.ofBytes(10L * 1024 * 1024);
    public static final ByteSize DEFAULT_MAX_HEADER_BYTES = ByteSize.ofBytes(32L * 1024);
    static final String DEFAULT_HEADER_READ_TIMEOUT_TEXT = "10s";
    static final String DEFAULT_BODY_READ_TIMEOUT_TEXT = "60s";
    static final String DEFAULT_IDLE_TIMEOUT_TEXT = "60s";
    public static final Duration DEFAULT_HEADER_READ_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_BODY_READ_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    public static final int DEFAULT_REFUSAL_RECORDS_PER_SECOND = 100;
    private static final int MAX_REFUSAL_RECORDS_PER_SECOND = 100_000;
    /** Default {@code eventLoops}: one per CPU. */
    public static final int EVENT_LOOPS_PER_CPU = 0;
    private static final int MAX_EVENT_LOOPS = 1024;
    /** Bounds of the timeouts: below 100ms a healthy client on a slow link fails; above an hour nothing is bounded. */
    private static final Duration MIN_TIMEOUT = Duration.ofMillis(100);
    private static final Duration MAX_TIMEOUT = Duration.ofHours(1);

    public ListenerConfig {
        protocol = protocol == null ? ListenerProtocol.HTTP : protocol;
        Checks.host("host", host);
        Checks.port("port", port);
        Checks.positive("maxBodyBytes", maxBodyBytes);
        Checks.positive("maxHeaderBytes", maxHeaderBytes);
        headerReadTimeout = headerReadTimeout == null ? DEFAULT_HEADER_READ_TIMEOUT : headerReadTimeout;
        bodyReadTimeout = bodyReadTimeout == null ? DEFAULT_BODY_READ_TIMEOUT : bodyReadTimeout;
        idleTimeout = idleTimeout == null ? DEFAULT_IDLE_TIMEOUT : idleTimeout;
        timeout("headerReadTimeout", headerReadTimeout);
        timeout("bodyReadTimeout", bodyReadTimeout);
        timeout("idleTimeout", idleTimeout);
        if (maxConnections < 1 || maxConnections > 1_000_000) {
            throw new ConfigException("maxConnections", "must be between 1 and 1000000, got " + maxConnections);
        }
        if (protocol == ListenerProtocol.GRPC && maxBodyBytes.bytes() > Integer.MAX_VALUE) {
            throw new ConfigException("maxBodyBytes", "a gRPC message can be at most 2GiB, got " + maxBodyBytes);
        }
        http2 = http2 == null ? Http2Limits.defaults() : http2;
        if (refusalRecordsPerSecond < 0 || refusalRecordsPerSecond > MAX_REFUSAL_RECORDS_PER_SECOND) {
            throw new ConfigException("refusalRecordsPerSecond", "must be between 0 and "
                    + MAX_REFUSAL_RECORDS_PER_SECOND + ", got " + refusalRecordsPerSecond);
        }
        if (eventLoops < 0 || eventLoops > MAX_EVENT_LOOPS) {
            throw new ConfigException("eventLoops", "must be between 1 and " + MAX_EVENT_LOOPS
                    + " (or 0 for one per CPU), got " + eventLoops);
        }
        if (eventLoops != EVENT_LOOPS_PER_CPU && protocol == ListenerProtocol.GRPC) {
            throw new ConfigException("eventLoops", "is only for a listener with protocol: http (a gRPC listener's"
                    + " threads are its HTTP/2 server's)");
        }
    }

    /** A listener with these limits and one event loop per CPU. */
    public ListenerConfig(String host, int port, ByteSize maxBodyBytes, ByteSize maxHeaderBytes,
                          ListenerProtocol protocol, Duration headerReadTimeout, Duration bodyReadTimeout,
                          Duration idleTimeout, int maxConnections, Http2Limits http2, int refusalRecordsPerSecond) {
        this(host, port, maxBodyBytes, maxHeaderBytes, protocol, headerReadTimeout, bodyReadTimeout, idleTimeout,
                maxConnections, http2, refusalRecordsPerSecond, EVENT_LOOPS_PER_CPU);
    }

    /** How many event loops serve this listener: {@code eventLoops}, or the number of CPUs when it is 0. */
    public int resolvedEventLoops() {
        return eventLoops == EVENT_LOOPS_PER_CPU ? Math.max(1, Runtime.getRuntime().availableProcessors()) : eventLoops;
    }

    /** A listener with these limits and the default number of refusals recorded one by one per second. */
    public ListenerConfig(String host, int port, ByteSize maxBodyBytes, ByteSize maxHeaderBytes,
                          ListenerProtocol protocol, Duration headerReadTimeout, Duration bodyReadTimeout,
                          Duration idleTimeout, int maxConnections, Http2Limits http2) {
        this(host, port, maxBodyBytes, maxHeaderBytes, protocol, headerReadTimeout, bodyReadTimeout, idleTimeout,
                maxConnections, http2, DEFAULT_REFUSAL_RECORDS_PER_SECOND);
    }

    /** A listener with the default timeouts, connection limit and HTTP/2 limits. */
    public ListenerConfig(String host, int port, ByteSize maxBodyBytes, ByteSize maxHeaderBytes,
                          ListenerProtocol protocol) {
        this(host, port, maxBodyBytes, maxHeaderBytes, protocol, null, null, null, DEFAULT_MAX_CONNECTIONS, null);
    }

    /** A listener with these timeouts and connection limit, and the default HTTP/2 limits. */
    public ListenerConfig(String host, int port, ByteSize maxBodyBytes, ByteSize maxHeaderBytes,
                          ListenerProtocol protocol, Duration headerReadTimeout, Duration bodyReadTimeout,
                          Duration idleTimeout, int maxConnections) {
        this(host, port, maxBodyBytes, maxHeaderBytes, protocol, headerReadTimeout, bodyReadTimeout, idleTimeout,
                maxConnections, null);
    }

    /** A listener with these HTTP/2 limits, and the default timeouts and connection limit. */
    public ListenerConfig(String host, int port, ByteSize maxBodyBytes, ByteSize maxHeaderBytes,
                          ListenerProtocol protocol, Http2Limits http2) {
        this(host, port, maxBodyBytes, maxHeaderBytes, protocol, null, null, null, DEFAULT_MAX_CONNECTIONS, http2);
    }

    /** An HTTP listener. */
    public ListenerConfig(String host, int port, ByteSize maxBodyBytes, ByteSize maxHeaderBytes) {
        this(host, port, maxBodyBytes, maxHeaderBytes, ListenerProtocol.HTTP);
    }

    private static void timeout(String field, Duration value) {
        if (value.compareTo(MIN_TIMEOUT) < 0 || value.compareTo(MAX_TIMEOUT) > 0) {
            throw new ConfigException(field, "must be between 100ms and 1h, got " + value.toMillis() + "ms");
        }
    }

    public boolean grpc() {
        return protocol == ListenerProtocol.GRPC;
    }

    /** The same listener on another port (a port 0 resolved). */
    public ListenerConfig withPort(int port) {
        return new ListenerConfig(host, port, maxBodyBytes, maxHeaderBytes, protocol, headerReadTimeout,
                bodyReadTimeout, idleTimeout, maxConnections, http2, refusalRecordsPerSecond);
    }
}
