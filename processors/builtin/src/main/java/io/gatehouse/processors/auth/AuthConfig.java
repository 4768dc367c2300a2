package io.gatehouse.processors.auth;

import io.gatehouse.spi.ConfigException;
import java.time.Duration;
import java.util.List;

/**
 * Config of the {@code auth} step: which of the gateway's identity providers this endpoint trusts and
 * what it asks of their tokens beyond the providers' own rules. Every component may be left out:
 * {@code - auth:} accepts tokens of every provider in {@code identity.providers}.
 *
 * <pre>{@code
 * - auth:
 *     providers: [keycloak]
 *     maxTokenAge: 1h
 *     requireMfa: { amr: [otp] }
 *     forwardIdentity: true
 * }</pre>
 *
 * @param providers       the providers whose tokens this endpoint accepts; default all of them
 * @param maxTokenAge     oldest token accepted here, from {@code iat}
 * @param maxAuthAge      oldest sign-in accepted here, from {@code auth_time}
 * @param requireMfa      a second factor every caller of this endpoint must show
 * @param forwardIdentity send the model server a short-lived JWT signed by the gateway naming the
 *                        caller ({@code Gatehouse-Identity}); default false
 */
public record AuthConfig(List<String> providers, Duration maxTokenAge, Duration maxAuthAge, MfaConfig requireMfa,
                         Boolean forwardIdentity) {

    public AuthConfig {
        if (providers != null) {
            if (providers.isEmpty()) {
                throw new ConfigException("providers", "must name at least one provider when given; leave it out to"
                        + " accept every provider in identity.providers");
            }
            providers = Checks.nonBlank("providers", providers);
            if (providers.stream().distinct().count() != providers.size()) {
                throw new ConfigException("providers", "names a provider twice: " + providers);
            }
        }
        maxTokenAge = Checks.duration("maxTokenAge", maxTokenAge, null, Requirements.MIN_AGE, Requirements.MAX_AGE);
        maxAuthAge = Checks.duration("maxAuthAge", maxAuthAge, null, Requirements.MIN_AGE, Requirements.MAX_AGE);
        forwardIdentity = forwardIdentity != null && forwardIdentity;
    }

    /** Every provider, no extra condition. */
    public static AuthConfig defaults() {
        return new AuthConfig(null, null, null, null, null);
    }
}
