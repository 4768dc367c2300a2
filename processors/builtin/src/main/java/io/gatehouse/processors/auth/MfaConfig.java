package io.gatehouse.processors.auth;

import io.gatehouse.spi.ConfigException;
import java.util.Set;

/**
 * What proves a multi-factor sign-in: an {@code acr} value the identity provider sets for it, or an
 * {@code amr} method of a second factor. A token satisfies the requirement when its {@code acr} is
 * one of {@code acr}, or its {@code amr} holds one of {@code amr}; otherwise it is answered 401
 * {@code insufficient_user_authentication} (RFC 9470) naming what is missing.
 *
 * <pre>{@code
 * requireMfa: { amr: [otp, hwk] }      # Keycloak with the AMR mapper: OTP or a security key
 * requireMfa: { acr: [gold] }          # an IdP that signals MFA with an acr value
 * }</pre>
 *
 * @param acr accepted {@code acr} values (exact, case-sensitive)
 * @param amr accepted {@code amr} methods (exact, case-sensitive), e.g. {@code otp}, {@code hwk}, {@code mfa}
 */
public record MfaConfig(Set<String> acr, Set<String> amr) {

    public MfaConfig {
        acr = Checks.names("acr", acr == null ? Set.of() : acr);
        amr = Checks.names("amr", amr == null ? Set.of() : amr);
        if (acr.isEmpty() && amr.isEmpty()) {
            throw new ConfigException(null, "name at least one acr value or amr method that proves a second factor,"
                    + " e.g. requireMfa: {amr: [otp]}");
        }
    }

    /** True when the token's {@code acr} or {@code amr} shows a second factor. */
    boolean satisfiedBy(String tokenAcr, java.util.List<String> tokenAmr) {
        return tokenAcr != null && acr.contains(tokenAcr) || tokenAmr.stream().anyMatch(amr::contains);
    }
}
