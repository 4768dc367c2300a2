package io.gatehouse.processors.masking;

import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;

/** The {@code masking} step: personal data and secrets masked in responses and, optionally, in requests. */
public final class MaskingProcessorFactory implements ProcessorFactory<MaskingConfig> {

    public static final String ID = "masking";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Class<MaskingConfig> configType() {
        return MaskingConfig.class;
    }

    @Override
    public Phase phase() {
        return Phase.TRANSFORM;
    }

    @Override
    public GatewayProcessor create(MaskingConfig config, EndpointContext endpoint) {
        return new MaskingProcessor(config, Masker.of(config), protocol(config, endpoint.protocol()));
    }

    /** The configured protocol, else the endpoint's when masking knows it, else generic. */
    static MaskingProtocol protocol(MaskingConfig config, String endpointProtocol) {
        return protocol(config.protocol(), endpointProtocol);
    }

    static MaskingProtocol protocol(MaskingProtocol configured, String endpointProtocol) {
        if (configured != null) {
            return configured;
        }
        if (endpointProtocol == null) {
            return MaskingProtocol.GENERIC;
        }
        for (MaskingProtocol p : MaskingProtocol.values()) {
            if (p.configName().equals(endpointProtocol)) {
                return p;
            }
        }
        return MaskingProtocol.GENERIC;
    }
}
