package io.gatehouse.processors.auth;

import io.gatehouse.processors.auth.IdentityProviders.Provider;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.GatewaySection;
import io.gatehouse.spi.GatewaySigner;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;
import io.gatehouse.spi.metrics.Metrics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code auth} step: verifies the caller's OIDC access token against the identity providers of
 * {@code gateway.yaml} ({@code identity:}, owned by this factory) and sets the exchange's
 * {@link io.gatehouse.spi.Identity}. The providers, their key caches and the verified-token cache
 * are built once per config load and shared by every endpoint's step.
 */
public final class AuthProcessorFactory implements ProcessorFactory<AuthConfig> {

    public static final String ID = "auth";
    public static final GatewaySection<IdentityConfig> SECTION = GatewaySection.of("identity", IdentityConfig.class);

    private IdentityProviders providers;

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

    @Override
    public Optional<GatewaySection<?>> gatewaySection() {
        return Optional.of(SECTION);
    }

    /** Prepares the providers (nothing is fetched yet) for the processors of this config load. */
    @Override
    public void configureGateway(Record section, GatewayContext gateway) {
        providers = IdentityProviders.create(SECTION.cast(section), gateway.clock(),
                gateway.services().find(Metrics.class).orElse(Metrics.none()));
    }

    @Override
    public GatewayProcessor create(AuthConfig config, EndpointContext endpoint) {
        if (providers == null || providers.byName().isEmpty()) {
            throw new ConfigException(null, "no identity provider is configured: add one to gateway.yaml, e.g."
                    + " identity: {providers: {keycloak: {issuer: https://sso.example/realms/gatehouse,"
                    + " audiences: [gatehouse]}}}");
        }
        Map<String, Provider> allowed = new LinkedHashMap<>();
        List<String> names = config.providers() == null ? List.copyOf(providers.byName().keySet()) : config.providers();
        for (String name : names) {
            Provider provider = providers.byName().get(name);
            if (provider == null) {
                throw new ConfigException("providers", "unknown identity provider '" + name + "' (known: "
                        + String.join(", ", providers.byName().keySet()) + ")");
            }
            allowed.put(name, provider);
        }
        List<Provider> opaque = allowed.values().stream().filter(p -> p.introspector() != null).toList();
        if (opaque.size() > 1) {
            throw new ConfigException("providers", "identity providers '" + opaque.get(0).name() + "' and '"
                    + opaque.get(1).name() + "' both accept opaque tokens (introspection); an endpoint accepts opaque"
                    + " tokens from one provider only, so that no token is shown to another provider");
        }
        IdentityTokens identityTokens = null;
        if (config.forwardIdentity()) {
            GatewaySigner signer = endpoint.services().require(GatewaySigner.class, ID);
            identityTokens = new IdentityTokens(providers.config().identityToken(), signer, endpoint.endpointId());
        }
        return new AuthProcessor(providers, config, endpoint.endpointId(), allowed,
                opaque.isEmpty() ? null : opaque.get(0), identityTokens,
                keyGauges(allowed, endpoint.services().find(Metrics.class).orElse(Metrics.none())));
    }

    /**
     * The age of each allowed provider's keys and its {@code maxStaleness}, as long as this processor serves:
     * the alert on stale keys compares the two (docker/observability).
     */
    static List<Metrics.Registration> keyGauges(Map<String, Provider> allowed, Metrics metrics) {
        List<Metrics.Registration> gauges = new ArrayList<>();
        for (Provider p : allowed.values()) {
            Map<String, String> tags = Map.of("provider", p.name());
            gauges.add(metrics.gauge("gatehouse.jwks.age.seconds", "Seconds since the signing keys in use were"
                    + " fetched from the identity provider (NaN before the first token needed them)", tags,
                    p.keys()::ageSeconds));
            double maxStaleness = p.config().jwks().maxStaleness().toMillis() / 1000.0;
            gauges.add(metrics.gauge("gatehouse.jwks.max.staleness.seconds", "The identity provider's"
                    + " jwks.maxStaleness: keys older than this verify nothing until a fetch succeeds", tags,
                    () -> maxStaleness));
        }
        return gauges;
    }
}
