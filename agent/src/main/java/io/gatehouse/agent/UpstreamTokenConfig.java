package io.gatehouse.agent;

import io.gatehouse.spi.ConfigException;
import java.time.Duration;

/**
 * A per-request upstream token for one service ({@code services.<name>.upstreamToken}): instead of (or besides) a
 * static key the agent sends a short-lived JWT it signs itself (ES256, a key that exists only in the agent's
 * memory, published at the agent's JWKS URL), naming the caller (subject, groups), the gateway's request id, the
 * policy rule that allowed the call and the approval that let it through. A model server that verifies JWTs then
 * knows who asked and under which decision.
 *
 * @param header   the header it goes in; default {@code Authorization}
 * @param scheme   before the token; default {@code Bearer}
 * @param issuer   the {@code iss} claim; default {@code gatehouse-agent}
 * @param audience the {@code aud} claim; default the service's name
 * @param ttl      lifetime; default and most 60s
 */
public record UpstreamTokenConfig(String header, String scheme, String issuer, String audience, Duration ttl) {

    public static final Duration MAX_TTL = Duration.ofSeconds(60);

    public UpstreamTokenConfig {
        if (header == null) {
            header = CredentialConfig.DEFAULT_HEADER;
        } else if (!HeaderRules.isToken(header) || HeaderRules.isHopByHop(header) || HeaderRules.isGatewayInternal(header)) {
            throw new ConfigException("header", "'" + header + "' cannot carry the token");
        }
        if (scheme == null) {
            scheme = CredentialConfig.DEFAULT_SCHEME;
        }
        if (issuer == null || issuer.isBlank()) {
            issuer = "gatehouse-agent";
        }
        if (ttl == null) {
            ttl = MAX_TTL;
        } else if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new ConfigException("ttl", "must be between 1s and 60s, got " + ttl);
        }
    }

    /** The header value for a minted token. */
    String headerValue(String token) {
        return scheme.isEmpty() ? token : scheme + " " + token;
    }
}
