package io.gatehouse.agent;

import io.gatehouse.spi.ConfigException;
import java.time.Duration;

/**
 * Circuit breaking for one service ({@code services.<name>.circuitBreaker} in {@code agent.yaml}): when
 * too many of its recent calls failed, the agent stops sending it calls for a while and answers them at
 * once with {@code CIRCUIT_OPEN} (the gateway: 503 with {@code Retry-After}), so a broken model server
 * is not hammered and callers do not wait for timeouts. After {@code openDuration} a few trial calls
 * go through; if they succeed the service is used again, else it stays out for another period.
 *
 * <p>A call fails when the agent could not connect, the model sent no head in time, the connection
 * broke or the answer was cut off, or the model answered a 5xx status; a gRPC service's call fails when
 * it closes with {@code UNAVAILABLE}, {@code INTERNAL}, {@code UNKNOWN}, {@code DATA_LOSS} or
 * {@code DEADLINE_EXCEEDED} (not the caller's deadline). Calls the gateway cancelled
 * (client gone, its deadline passed) or refused as invalid say nothing about the service and are not
 * counted.
 *
 * @param enabled              default true
 * @param failureRateThreshold percentage of failed calls among the last {@code slidingWindowSize} that
 *                             opens the circuit; default 50
 * @param slidingWindowSize    how many of the latest finished calls are judged; default 20
 * @param minimumCalls         no verdict before this many calls finished in the window; default 10
 * @param openDuration         how long an open circuit refuses calls before trial calls; default 10s
 * @param halfOpenCalls        trial calls after {@code openDuration}; all must finish before the
 *                             verdict (the same failure rate decides); default 3
 */
public record CircuitBreakerConfig(Boolean enabled, Integer failureRateThreshold, Integer slidingWindowSize,
                                   Integer minimumCalls, Duration openDuration, Integer halfOpenCalls) {

    public static final int DEFAULT_FAILURE_RATE_THRESHOLD = 50;
    public static final int DEFAULT_SLIDING_WINDOW_SIZE = 20;
    public static final int DEFAULT_MINIMUM_CALLS = 10;
    public static final Duration DEFAULT_OPEN_DURATION = Duration.ofSeconds(10);
    public static final int DEFAULT_HALF_OPEN_CALLS = 3;

    public CircuitBreakerConfig {
        if (enabled == null) {
            enabled = true;
        }
        failureRateThreshold = within("failureRateThreshold", failureRateThreshold, DEFAULT_FAILURE_RATE_THRESHOLD,
                1, 100, "a percentage from 1 to 100");
        slidingWindowSize = within("slidingWindowSize", slidingWindowSize, DEFAULT_SLIDING_WINDOW_SIZE, 1, 10_000,
                "a number of calls from 1 to 10000");
        minimumCalls = within("minimumCalls", minimumCalls, Math.min(DEFAULT_MINIMUM_CALLS, slidingWindowSize), 1,
                slidingWindowSize, "a number of calls from 1 to slidingWindowSize (" + slidingWindowSize + ")");
        if (openDuration == null) {
            openDuration = DEFAULT_OPEN_DURATION;
        } else if (openDuration.toMillis() < 1) {
            throw new ConfigException("openDuration", "must be at least 1ms, got " + openDuration);
        }
        halfOpenCalls = within("halfOpenCalls", halfOpenCalls, DEFAULT_HALF_OPEN_CALLS, 1, 1_000,
                "a number of calls from 1 to 1000");
    }

    /** The defaults: on, 50 % of the last 20 calls (at least 10), 10 s open, 3 trial calls. */
    public static CircuitBreakerConfig defaults() {
        return new CircuitBreakerConfig(null, null, null, null, null, null);
    }

    /** Off: every call goes to the service whatever happened before. */
    public static CircuitBreakerConfig disabled() {
        return new CircuitBreakerConfig(false, null, null, null, null, null);
    }

    private static int within(String field, Integer value, int fallback, int min, int max, String expected) {
        if (value == null) {
            return fallback;
        }
        if (value < min || value > max) {
            throw new ConfigException(field, "value " + value + " is out of range (expected " + expected + ")");
        }
        return value;
    }
}
