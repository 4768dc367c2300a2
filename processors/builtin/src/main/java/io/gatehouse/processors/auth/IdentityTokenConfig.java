package io.gatehouse.processors.auth;

import io.gatehouse.spi.ConfigException;
import java.time.Duration;

/**
 * The token an endpoint with {@code forwardIdentity: true} sends the model server in the
 * {@code Gatehouse-Identity} header: a JWT signed with the gateway's own key (ES256; public keys at
 * the admin port, {@code /.well-known/gatehouse/jwks.json}) naming the caller, so a model server can
 * log who asked without ever seeing the caller's token.
 *
 * @param issuer its {@code iss}; default {@code gatehouse}
 * @param ttl    its lifetime; default 60s, never past the caller's own token
 */
public record IdentityTokenConfig(String issuer, Duration ttl) {

    public IdentityTokenConfig {
        issuer = issuer == null ? "gatehouse" : issuer;
        if (issuer.isBlank()) {
            throw new ConfigException("issuer", "must not be blank");
        }
        ttl = Checks.duration("ttl", ttl, Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofMinutes(15));
    }

    public static IdentityTokenConfig defaults() {
        return new IdentityTokenConfig(null, null);
    }
}
