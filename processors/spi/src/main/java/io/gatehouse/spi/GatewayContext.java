package io.gatehouse.spi;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;

/**
 * What a factory knows about the whole gateway when it receives its section of {@code gateway.yaml}
 * ({@link ProcessorFactory#configureGateway}). Immutable.
 *
 * @param dataDirectory where the gateway keeps its data, absolute; a factory that keeps files puts
 *                      them in a sub-directory named after its id
 * @param clock         the clock for time decisions (tests replace it); the same one endpoints get
 * @param services      services shared by the whole gateway
 * @param endpoints     every endpoint of this config load: its id to its protocol ({@code openai},
 *                      {@code raw}, …), in file order; empty when the caller has no endpoints to tell
 */
public record GatewayContext(Path dataDirectory, Clock clock, GatewayServices services, Map<String, String> endpoints) {

    public GatewayContext {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(services, "services");
        endpoints = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(endpoints));
    }

    /** A context that tells no endpoints. */
    public GatewayContext(Path dataDirectory, Clock clock, GatewayServices services) {
        this(dataDirectory, clock, services, Map.of());
    }
}
