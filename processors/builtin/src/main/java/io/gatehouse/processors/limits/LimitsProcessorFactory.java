package io.gatehouse.processors.limits;

import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;

/** The {@code limits} step: request body and header size caps, and the exchange's deadline. */
public final class LimitsProcessorFactory implements ProcessorFactory<LimitsConfig> {

    public static final String ID = "limits";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Class<LimitsConfig> configType() {
        return LimitsConfig.class;
    }

    @Override
    public Phase phase() {
        return Phase.AUTHORIZE;
    }

    @Override
    public GatewayProcessor create(LimitsConfig config, EndpointContext endpoint) {
        return new LimitsProcessor(config, endpoint.clock());
    }
}
