package io.gatehouse.processors.auth;

import java.time.Duration;

/**
 * Extra conditions on the token of a caller in a group ({@code identity.groups.<group>}): how old the
 * token and the sign-in may be, and whether a second factor is needed. The strictest of every
 * condition that applies wins (provider, endpoint, each of the caller's groups).
 *
 * <pre>{@code
 * identity:
 *   groups:
 *     ml-leads:
 *       requireMfa: { amr: [otp] }
 *       maxTokenAge: 15m
 * }</pre>
 *
 * @param maxTokenAge oldest token accepted, counted from {@code iat}, even when {@code exp} is further away
 * @param maxAuthAge  oldest sign-in accepted, counted from {@code auth_time} (RFC 9470 {@code max_age}):
 *                    a refreshed token does not reset it
 * @param requireMfa  a second factor the sign-in must show
 */
public record Requirements(Duration maxTokenAge, Duration maxAuthAge, MfaConfig requireMfa) {

    static final Duration MIN_AGE = Duration.ofSeconds(1);
    static final Duration MAX_AGE = Duration.ofDays(30);

    public Requirements {
        maxTokenAge = Checks.duration("maxTokenAge", maxTokenAge, null, MIN_AGE, MAX_AGE);
        maxAuthAge = Checks.duration("maxAuthAge", maxAuthAge, null, MIN_AGE, MAX_AGE);
    }
}
