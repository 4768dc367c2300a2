package io.gatehouse.processors.auth;

import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;

/**
 * The {@code auth} step: verifies the caller's OIDC access token (a JWT) against the identity
 * provider's keys and sets the exchange's {@link io.gatehouse.spi.Identity}.
 */
public final class AuthProcessorFactory implements ProcessorFactory<AuthConfig> {

    public static final String ID = "auth";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Class<AuthConfig> configType() {
        return AuthConfig.class;
    }

    @Override
    public Phase phase() {
        return Phase.AUTHENTICATE;
    }

    /** Prepares the key source (nothing is fetched yet) and the verifier for this endpoint. */
    @Override
    public GatewayProcessor create(AuthConfig config, EndpointContext endpoint) {
        return new AuthProcessor(config, TokenVerifier.create(config, endpoint), new IdentityMapper(config.groupsClaim()));
    }
}
