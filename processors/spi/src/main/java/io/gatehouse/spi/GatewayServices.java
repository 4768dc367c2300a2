package io.gatehouse.spi;

import java.util.Map;
import java.util.Optional;

/**
 * Services the gateway shares between all endpoints, such as the store that recordings, approvals
 * and shared rate limits use. A factory looks them up in {@link ProcessorFactory#create} through
 * {@link EndpointContext#services()}; a processor keeps the reference. Services are thread-safe and
 * live as long as the gateway; processors never close them.
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
