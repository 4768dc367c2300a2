package io.gatehouse.engine;

import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Phase;

/**
 * One configured step of an endpoint: the processor with the names needed to blame it.
 *
 * @param stepId     the factory id used in config, e.g. {@code auth}
 * @param nodeId     the route node id, e.g. {@code chat.auth}
 * @param endpointId the endpoint it belongs to
 * @param phase      what its factory declares it does
 * @param processor  the processor created for this endpoint
 */
public record Step(String stepId, String nodeId, String endpointId, Phase phase, GatewayProcessor processor) {

    /** How log lines and contract errors name this step: {@code processor 'x' on endpoint 'y'}. */
    public String describe() {
        return "processor '" + stepId + "' on endpoint '" + endpointId + "'";
    }
}
