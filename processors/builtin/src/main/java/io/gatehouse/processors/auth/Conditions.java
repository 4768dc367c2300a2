package io.gatehouse.processors.auth;

import io.gatehouse.processors.support.Durations;
import io.gatehouse.spi.Identity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one endpoint asks of a verified token beyond its provider's signature and claims rules: a
 * second factor, a recent sign-in, a young token, from the endpoint's own step config, the provider
 * and every group of the caller listed in {@code identity.groups}. Every condition that applies must
 * hold; the first that does not is named in the answer together with where it comes from.
 * Thread-safe.
 */
final class Conditions {

    private record Source(String name, Requirements requirements) {
    }

    private final Source endpoint;
    private final Map<String, Requirements> groups;

    Conditions(AuthConfig step, Map<String, Requirements> groups) {
        this.endpoint = new Source("this endpoint", new Requirements(step.maxTokenAge(), step.maxAuthAge(),
                step.requireMfa()));
        this.groups = groups;
    }

    /** True when no condition can ever apply, so {@link #check} has nothing to do. */
    boolean none(ProviderConfig provider) {
        return groups.isEmpty() && provider.maxTokenAge() == null && provider.maxAuthAge() == null
                && endpoint.requirements().maxTokenAge() == null && endpoint.requirements().maxAuthAge() == null
                && endpoint.requirements().requireMfa() == null;
    }

    void check(Identity identity, String providerName, ProviderConfig provider, Instant now) throws AuthRejection {
        if (none(provider)) {
            return;
        }
        List<Source> sources = new ArrayList<>();
        sources.add(endpoint);
        sources.add(new Source("identity provider '" + providerName + "'", new Requirements(provider.maxTokenAge(),
                provider.maxAuthAge(), null)));
        groups.forEach((group, requirements) -> {
            if (identity.groups().contains(group)) {
                sources.add(new Source("group '" + group + "'", requirements));
            }
        });
        long skew = provider.clockSkew().toSeconds();
        for (Source s : sources) {
            MfaConfig mfa = s.requirements().requireMfa();
            if (mfa != null && !mfa.satisfiedBy(identity.acr(), identity.amr())) {
                throw AuthRejection.insufficientAuthentication("mfa-required", s.name() + " requires a second factor:"
                        + " the token shows " + shows(identity) + ", but needs " + needs(mfa)
                        + "; sign in again with a second factor", mfa.acr(), null);
            }
        }
        for (Source s : sources) {
            Duration limit = s.requirements().maxAuthAge();
            if (limit == null) {
                continue;
            }
            Instant authTime = identity.authTime();
            if (authTime == null) {
                throw AuthRejection.insufficientAuthentication("auth-too-old", s.name() + " requires a sign-in within"
                        + " the last " + Durations.format(limit) + ", and the token does not say when the user"
                        + " signed in (auth_time); sign in again", Set.of(), limit);
            }
            if (authTime.plus(limit).plusSeconds(skew).isBefore(now)) {
                throw AuthRejection.insufficientAuthentication("auth-too-old", s.name() + " requires a sign-in within"
                        + " the last " + Durations.format(limit) + ": the user signed in at " + authTime
                        + " (auth_time); sign in again", Set.of(), limit);
            }
        }
        for (Source s : sources) {
            Duration limit = s.requirements().maxTokenAge();
            if (limit == null) {
                continue;
            }
            Instant issuedAt = identity.issuedAt();
            if (issuedAt == null) {
                throw AuthRejection.invalidToken("token-too-old", "the token has no issue time (iat), so its age"
                        + " cannot be checked against the maxTokenAge of " + s.name() + " (" + Durations.format(limit)
                        + "); get a new token");
            }
            if (issuedAt.plus(limit).plusSeconds(skew).isBefore(now)) {
                throw AuthRejection.invalidToken("token-too-old", "the token was issued at " + issuedAt + " (iat); "
                        + s.name() + " accepts tokens up to " + Durations.format(limit) + " old; get a new token");
            }
        }
    }

    private static String shows(Identity identity) {
        String amr = identity.amr().isEmpty() ? "no amr" : "amr " + identity.amr().stream().map(AuthRejection::safe)
                .limit(8).toList();
        String acr = identity.acr() == null ? "no acr" : "acr " + AuthRejection.safe(identity.acr());
        return amr + " and " + acr;
    }

    private static String needs(MfaConfig mfa) {
        List<String> ways = new ArrayList<>();
        if (!mfa.amr().isEmpty()) {
            ways.add("amr " + (mfa.amr().size() == 1 ? mfa.amr().iterator().next() : "one of " + mfa.amr()));
        }
        if (!mfa.acr().isEmpty()) {
            ways.add("acr " + (mfa.acr().size() == 1 ? mfa.acr().iterator().next() : "one of " + mfa.acr()));
        }
        return String.join(" or ", ways);
    }
}
