package io.gatehouse.processors.auth;

import io.gatehouse.spi.GatewaySigner;
import io.gatehouse.spi.Identity;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The {@code Gatehouse-Identity} token of one endpoint: who asked, signed by the gateway, valid a
 * minute (never past the caller's own token), bound to the request ({@code jti} is the request id).
 * It carries no secret of the caller: the caller's token never leaves the gateway.
 */
final class IdentityTokens {

    static final String TYPE = "gatehouse-identity+jwt";

    private final IdentityTokenConfig config;
    private final GatewaySigner signer;
    private final String audience;

    IdentityTokens(IdentityTokenConfig config, GatewaySigner signer, String endpointId) {
        this.config = config;
        this.signer = signer;
        this.audience = endpointId;
    }

    String issue(Identity identity, String requestId, Instant now) {
        Instant exp = now.plus(config.ttl());
        if (identity.expiresAt() != null && identity.expiresAt().isBefore(exp)) {
            exp = identity.expiresAt();
        }
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", config.issuer());
        claims.put("sub", identity.subject());
        claims.put("aud", audience);
        claims.put("iat", now.getEpochSecond());
        claims.put("exp", exp.getEpochSecond());
        claims.put("jti", requestId);
        claims.put("idp", identity.issuer());
        claims.put("preferred_username", identity.username());
        claims.put("groups", List.copyOf(new TreeSet<>(identity.groups())));
        claims.put("roles", List.copyOf(new TreeSet<>(identity.roles())));
        if (identity.clientId() != null) {
            claims.put("client_id", identity.clientId());
        }
        if (identity.acr() != null) {
            claims.put("acr", identity.acr());
        }
        if (!identity.amr().isEmpty()) {
            claims.put("amr", identity.amr());
        }
        return signer.sign(TYPE, claims);
    }
}
