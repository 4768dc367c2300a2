package io.gatehouse.gateway.http;

import io.gatehouse.config.ListenerConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the channels of one HTTP listener (or the admin port) are set up with: its limits, and the path
 * prefixes of its endpoints, whose routes answer and record the listener's refusals.
 */
public final class ListenerSettings {

    private final String name;
    private final Duration headerReadTimeout;
    private final Duration bodyReadTimeout;
    private final Duration idleTimeout;
    private final int maxConnections;
    private final int refusalRecordsPerSecond;
    private final List<String> endpointPrefixes;
    private final AtomicInteger open = new AtomicInteger();

    public ListenerSettings(String name, Duration headerReadTimeout, Duration bodyReadTimeout, Duration idleTimeout,
                            int maxConnections, List<String> endpointPrefixes) {
        this(name, headerReadTimeout, bodyReadTimeout, idleTimeout, maxConnections,
                ListenerConfig.DEFAULT_REFUSAL_RECORDS_PER_SECOND, endpointPrefixes);
    }

    public ListenerSettings(String name, Duration headerReadTimeout, Duration bodyReadTimeout, Duration idleTimeout,
                            int maxConnections, int refusalRecordsPerSecond, List<String> endpointPrefixes) {
        this.name = name;
        this.refusalRecordsPerSecond = refusalRecordsPerSecond;
        this.headerReadTimeout = headerReadTimeout;
        this.bodyReadTimeout = bodyReadTimeout;
        this.idleTimeout = idleTimeout;
        this.maxConnections = maxConnections;
        this.endpointPrefixes = List.copyOf(endpointPrefixes);
    }

    /** A gateway.yaml listener and the path prefixes of its endpoints. */
    public static ListenerSettings of(String name, ListenerConfig listener, List<String> endpointPrefixes) {
        return new ListenerSettings(name, listener.headerReadTimeout(), listener.bodyReadTimeout(),
                listener.idleTimeout(), listener.maxConnections(), listener.refusalRecordsPerSecond(), endpointPrefixes);
    }

    /** The admin port: the listener defaults, no endpoints (every refusal is answered by the listener). */
    public static ListenerSettings admin() {
        return new ListenerSettings("admin", ListenerConfig.DEFAULT_HEADER_READ_TIMEOUT,
                ListenerConfig.DEFAULT_BODY_READ_TIMEOUT, ListenerConfig.DEFAULT_IDLE_TIMEOUT,
                ListenerConfig.DEFAULT_MAX_CONNECTIONS, List.of());
    }

    String name() {
        return name;
    }

    Duration headerReadTimeout() {
        return headerReadTimeout;
    }

    Duration bodyReadTimeout() {
        return bodyReadTimeout;
    }

    Duration idleTimeout() {
        return idleTimeout;
    }

    int maxConnections() {
        return maxConnections;
    }

    /** Refusals recorded one by one per second ({@link ListenerRefusals}). */
    int refusalRecordsPerSecond() {
        return refusalRecordsPerSecond;
    }

    /** The connections open now (all event loops). */
    AtomicInteger open() {
        return open;
    }

    /** Whether an endpoint route takes this raw path (its prefix itself or below it). */
    boolean servesEndpoint(String path) {
        for (String prefix : endpointPrefixes) {
            if ("/".equals(prefix) || path.equals(prefix) || path.startsWith(prefix + "/")) {
                return true;
            }
        }
        return false;
    }
}
