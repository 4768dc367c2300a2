package io.gatehouse.spi;

import java.time.Clock;
import java.util.Objects;

/**
 * What a factory knows about the endpoint it creates a processor for. Immutable.
 *
 * @param endpointId the endpoint's id, also its Camel route id
 * @param protocol   the endpoint's protocol adapter: {@code openai}, {@code raw}, …
 * @param stepId     the node id of this step in the route, e.g. {@code chat.auth}
 * @param pathPrefix the listener path prefix the endpoint serves, e.g. {@code /v1}
 * @param clock      the clock processors must use for time decisions (tests replace it)
 * @param services   services shared by the whole gateway (the store, …)
 */
public record EndpointContext(String endpointId, String protocol, String stepId, String pathPrefix, Clock clock,
                              GatewayServices services) {

    public EndpointContext {
        Objects.requireNonNull(endpointId, "endpointId");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(services, "services");
    }

    /** A context without shared services. */
    public EndpointContext(String endpointId, String protocol, String stepId, String pathPrefix, Clock clock) {
        this(endpointId, protocol, stepId, pathPrefix, clock, GatewayServices.none());
    }
}
