package io.gatehouse.processors.auth;

import io.gatehouse.spi.metrics.Metrics;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the {@code auth} steps of one config share: the providers with their key caches and
 * verifiers, and the verified-token cache. Built from the {@code identity:} section once per config
 * load; nothing is fetched until the first token arrives. Thread-safe.
 */
final class IdentityProviders {

    /** One trusted provider, ready to verify. */
    record Provider(String name, ProviderConfig config, ProviderKeys keys, JwtVerifier verifier,
                    Introspector introspector, IdentityMapper mapper) {
    }

    private final IdentityConfig config;
    private final Clock clock;
    private final Map<String, Provider> byName;
    private final Map<String, Provider> byIssuer;
    private final TokenCache cache;

    private IdentityProviders(IdentityConfig config, Clock clock, Map<String, Provider> byName) {
        this.config = config;
        this.clock = clock;
        this.byName = Collections.unmodifiableMap(byName);
        Map<String, Provider> issuers = new LinkedHashMap<>();
        byName.values().forEach(p -> issuers.put(p.config().issuer(), p));
        this.byIssuer = Collections.unmodifiableMap(issuers);
        this.cache = new TokenCache(config.cacheSize());
    }

    /** The providers of {@code config}; they count their key fetches in {@code metrics}. */
    static IdentityProviders create(IdentityConfig config, Clock clock, Metrics metrics) {
        Duration connect = config.providers().values().stream().map(p -> p.jwks().timeout())
                .max(Duration::compareTo).orElse(Duration.ofSeconds(3));
        HttpFetcher http = new HttpFetcher(connect);
        Map<String, Provider> byName = new LinkedHashMap<>();
        config.providers().forEach((name, p) -> {
            ProviderKeys keys = new ProviderKeys(name, p, http, clock, metrics);
            JwtVerifier verifier = new JwtVerifier(name, p, keys, clock);
            Introspector introspector = p.introspection() == null ? null
                    : new Introspector(name, p, keys, http, verifier.claims());
            byName.put(name, new Provider(name, p, keys, verifier, introspector, new IdentityMapper(p.claims())));
        });
        return new IdentityProviders(config, clock, byName);
    }

    IdentityConfig config() {
        return config;
    }

    Clock clock() {
        return clock;
    }

    Map<String, Provider> byName() {
        return byName;
    }

    Optional<Provider> byIssuer(String issuer) {
        return Optional.ofNullable(issuer == null ? null : byIssuer.get(issuer));
    }

    TokenCache cache() {
        return cache;
    }
}
