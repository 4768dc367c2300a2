package io.gatehouse.processors.auth;

import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Secret;
import java.net.URI;
import java.time.Duration;

/**
 * Opaque (non-JWT) access tokens of one identity provider, checked by RFC 7662 introspection. A
 * token that is not a JWT is sent to the provider's introspection endpoint with the gateway's client
 * credentials (HTTP Basic); an active answer is held for {@code cacheTtl} at most (never past its
 * {@code exp}), so a token reused within that time costs no call. An endpoint may accept opaque
 * tokens from one provider only: a token is never shown to another provider.
 *
 * @param endpoint     the introspection URL; default: {@code introspection_endpoint} of the discovery document
 * @param clientId     the gateway's client at the identity provider
 * @param clientSecret its secret, {@code env:NAME} or {@code file:PATH}
 * @param cacheTtl     how long an active answer is reused; default 30s, at most 5m
 */
public record IntrospectionConfig(URI endpoint, String clientId, Secret clientSecret, Duration cacheTtl) {

    public IntrospectionConfig {
        if (endpoint != null) {
            Checks.httpUrl("endpoint", endpoint, "https://idp.example/realms/ml/protocol/openid-connect/token/introspect");
        }
        if (clientId == null || clientId.isBlank()) {
            throw new ConfigException("clientId", "is required: the gateway's client id at the identity provider");
        }
        if (clientSecret == null) {
            throw new ConfigException("clientSecret", "is required: env:NAME or file:PATH holding the client secret");
        }
        cacheTtl = Checks.duration("cacheTtl", cacheTtl, Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofMinutes(5));
    }
}
