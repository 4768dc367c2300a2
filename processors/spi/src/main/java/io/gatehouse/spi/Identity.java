package io.gatehouse.spi;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A verified caller. Written once per exchange by an {@link Phase#AUTHENTICATE} step; immutable.
 *
 * @param subject   {@code sub}: stable id of the caller at its issuer
 * @param username  a human-readable name ({@code preferred_username}), or the subject
 * @param issuer    {@code iss}: the identity provider
 * @param clientId  {@code azp} or {@code client_id}, when present, else null
 * @param groups    group names (Keycloak: without the leading path when configured so)
 * @param roles     realm and client roles
 * @param acr       authentication context class, or null
 * @param amr       authentication methods, e.g. {@code [pwd, otp]}
 * @param issuedAt  {@code iat}, or null
 * @param authTime  {@code auth_time}, or null
 * @param expiresAt {@code exp}
 * @param sessionId {@code sid}, or null
 * @param claims    all claims of the token, for CEL conditions and plugins
 */
public record Identity(String subject, String username, String issuer, String clientId, Set<String> groups,
                       Set<String> roles, String acr, List<String> amr, Instant issuedAt, Instant authTime,
                       Instant expiresAt, String sessionId, Map<String, Object> claims) {

    public Identity {
        groups = Set.copyOf(groups);
        roles = Set.copyOf(roles);
        amr = List.copyOf(amr);
        claims = Map.copyOf(claims);
    }

    @Override
    public String toString() {
        // Claims may hold personal data: keep them out of logs.
        return "Identity[subject=" + subject + ", username=" + username + ", issuer=" + issuer + ", groups=" + groups
                + "]";
    }
}
