package io.gatehouse.plugins.headerstamp;

import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;

/** The {@code header-stamp} step: sets one header on every response of the endpoint. */
public final class HeaderStampProcessorFactory implements ProcessorFactory<HeaderStampConfig> {

    @Override
    public String id() {
        return "header-stamp";
    }

    @Override
    public Class<HeaderStampConfig> configType() {
        return HeaderStampConfig.class;
    }

    @Override
    public Phase phase() {
        return Phase.TRANSFORM;
    }

    @Override
    public GatewayProcessor create(HeaderStampConfig config, EndpointContext endpoint) {
        return new HeaderStampProcessor(config.name(), config.value());
    }
}
