package io.gatehouse.config;

import io.gatehouse.spi.ConfigException;
import java.time.Duration;

/**
 * What one HTTP/2 connection of a gRPC listener may do ({@code listeners.<name>.http2} in
 * {@code gateway.yaml}). A client over a limit has its streams refused or its connection ended with
 * {@code GOAWAY ENHANCE_YOUR_CALM}; other connections are served as before. The size of a call's metadata
 * (header block, CONTINUATION frames included) is the listener's {@code maxHeaderBytes}.
 *
 * @param maxConcurrentStreams    calls open at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS;
 *                                more are refused with RST_STREAM REFUSED_STREAM); default 100
 * @param maxResetStreams         streams a client may reset within {@code resetWindow} before its
 *                                connection is ended (HTTP/2 rapid reset, CVE-2023-44487); default 200
 * @param resetWindow             the window of {@code maxResetStreams}; default 10s (whole seconds)
 * @param permitKeepAliveTime     the shortest interval between a client's keepalive pings the listener
 *                                accepts; a client pinging more often (a ping flood) is sent GOAWAY
 *                                {@code too_many_pings}; default 5m (gRPC's own default; gRPC clients
 *                                are told so and back off)
 * @param maxConnectionIdle       a connection with no call for this long is closed gracefully; default 5m
 */
public record Http2Limits(Integer maxConcurrentStreams, Integer maxResetStreams, Duration resetWindow,
                          Duration permitKeepAliveTime, Duration maxConnectionIdle) {

    public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 100;
    public static final int DEFAULT_MAX_RESET_STREAMS = 200;
    public static final Duration DEFAULT_RESET_WINDOW = Duration.ofSeconds(10);
    public static final Duration DEFAULT_PERMIT_KEEP_ALIVE_TIME = Duration.ofMinutes(5);
    public static final Duration DEFAULT_MAX_CONNECTION_IDLE = Duration.ofMinutes(5);

    public Http2Limits {
        maxConcurrentStreams = within("maxConcurrentStreams", maxConcurrentStreams, DEFAULT_MAX_CONCURRENT_STREAMS,
                100_000);
        maxResetStreams = within("maxResetStreams", maxResetStreams, DEFAULT_MAX_RESET_STREAMS, 1_000_000);
        resetWindow = resetWindow == null ? DEFAULT_RESET_WINDOW : resetWindow;
        if (resetWindow.toSeconds() < 1 || resetWindow.toSeconds() > 3_600 || resetWindow.toMillis() % 1000 != 0) {
            throw new ConfigException("resetWindow", "must be whole seconds from 1s to 1h, got " + resetWindow);
        }
        permitKeepAliveTime = positive("permitKeepAliveTime", permitKeepAliveTime, DEFAULT_PERMIT_KEEP_ALIVE_TIME);
        maxConnectionIdle = positive("maxConnectionIdle", maxConnectionIdle, DEFAULT_MAX_CONNECTION_IDLE);
    }

    /** The defaults. */
    public static Http2Limits defaults() {
        return new Http2Limits(null, null, null, null, null);
    }

    private static int within(String field, Integer value, int fallback, int max) {
        if (value == null) {
            return fallback;
        }
        if (value < 1 || value > max) {
            throw new ConfigException(field, "must be between 1 and " + max + ", got " + value);
        }
        return value;
    }

    private static Duration positive(String field, Duration value, Duration fallback) {
        if (value == null) {
            return fallback;
        }
        if (value.toMillis() < 1) {
            throw new ConfigException(field, "must be at least 1ms, got " + value);
        }
        return value;
    }
}
