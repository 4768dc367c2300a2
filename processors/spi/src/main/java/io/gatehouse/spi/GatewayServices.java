package io.gatehouse.spi;

import java.util.Map;
import java.util.Optional;

/**
 * Services the gateway shares between all endpoints, looked up by their SPI type. A factory looks them
 * up in {@link ProcessorFactory#create} through {@link EndpointContext#services()} (or in
 * {@link ProcessorFactory#configureGateway} through {@link GatewayContext#services()}); a processor keeps
 * the reference. The gateway offers:
 *
 * <ul>
 *   <li>{@link io.gatehouse.spi.audit.AuditLog}: append audit events to the tamper-evident chain;</li>
 *   <li>{@link io.gatehouse.spi.approval.ApprovalService}: hold requests for a human approval;</li>
 *   <li>{@link io.gatehouse.spi.ratelimit.RateLimitBuckets}: token buckets shared by replicas (only when
 *       the store is shared: PostgreSQL);</li>
 *   <li>{@link GatewaySigner}: sign statements as the gateway;</li>
 *   <li>{@link io.gatehouse.spi.metrics.Metrics}: gauges and counters exported at {@code /metrics} (absent where
 *       nothing is scraped, e.g. {@code config validate}).</li>
 * </ul>
 *
 * <p>The built-in steps use exactly these. Services are thread-safe and open before any processor is
 * created; the gateway closes them after the last processor, so processors never close them. A service
 * that cannot answer fails with {@link ServiceUnavailableException}.
 */
public interface GatewayServices {

    /** The service of this type, if the gateway provides one. */
    <T> Optional<T> find(Class<T> type);

    /**
     * The service of this type.
     *
     * @param step what needs it, for the error message, e.g. {@code recording}
     * @throws ConfigException when the gateway provides none
     */
    default <T> T require(Class<T> type, String step) {
        return find(type).orElseThrow(() -> new ConfigException(null, "step '" + step + "' needs a "
                + type.getSimpleName() + ", which this gateway does not provide"));
    }

    /** No services at all (tests of processors that need none). */
    GatewayServices NONE = of(Map.of());

    /** No services at all. */
    static GatewayServices none() {
        return NONE;
    }

    /** Exactly these services, by type. */
    static GatewayServices of(Map<Class<?>, Object> services) {
        Map<Class<?>, Object> copy = Map.copyOf(services);
        return new GatewayServices() {
            @Override
            public <T> Optional<T> find(Class<T> type) {
                return Optional.ofNullable(type.cast(copy.get(type)));
            }
        };
    }
}
