package io.gatehouse.spi;

import java.time.Clock;

/**
 * What a factory knows about the endpoint it creates a processor for. Immutable.
 *
 * @param endpointId the endpoint's id, also its Camel route id
 * @param protocol   the endpoint's protocol adapter: {@code openai}, {@code raw}, …
 * @param stepId     the node id of this step in the route, e.g. {@code chat.auth}
 * @param pathPrefix the listener path prefix the endpoint serves, e.g. {@code /v1}
 * @param clock      the clock processors must use for time decisions (tests replace it)
 */
public record EndpointContext(String endpointId, String protocol, String stepId, String pathPrefix, Clock clock) {
}
