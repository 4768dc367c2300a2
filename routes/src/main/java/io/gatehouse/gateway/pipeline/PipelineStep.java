package io.gatehouse.gateway.pipeline;

import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Phase;

/**
 * One configured step of an endpoint: the processor with the names needed to blame it.
 *
 * @param stepId    the factory id used in config, e.g. {@code auth}
 * @param nodeId    the Camel node id, e.g. {@code chat.auth}
 * @param endpointId the endpoint it belongs to
 */
public record PipelineStep(String stepId, String nodeId, String endpointId, Phase phase, GatewayProcessor processor) {

    /** How log lines and errors name this step. */
    public String describe() {
        return "processor '" + stepId + "' on endpoint '" + endpointId + "'";
    }
}
