package io.gatehouse.processors.policy;

import io.gatehouse.processors.support.Durations;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.ratelimit.BucketLimit;
import java.time.Duration;
import java.util.Set;

/**
 * A rate limit or quota of an allowing rule: at most {@code requests} requests, or {@code tokens} tokens
 * (read from the answers' usage), every {@code every}, counted per caller or per group.
 *
 * <pre>{@code
 * rateLimits:
 *   - { per: identity, requests: 60, every: 1m }
 *   - { per: group, tokens: 200000, every: 1h }
 * }</pre>
 *
 * @param per      {@code identity} (each caller has its own budget) or {@code group} (the callers the
 *                 policy applies to through one group share it)
 * @param requests requests per interval; exactly one of requests and tokens
 * @param tokens   tokens per interval, charged after each answer from its usage
 * @param every    the interval; the whole budget is refilled when it ends
 * @param onExceeded {@code reject} (default: 429 with Retry-After) or {@code require-approval}: the caller
 *                 over the limit is held for an approver (202), who grants N more requests or tokens for T
 * @param approvers  {@code require-approval}: groups whose members may grant more (default: the approval step's)
 * @param maxExtra   {@code require-approval}: the most an approver may grant (default: the limit itself)
 * @param maxExtraFor {@code require-approval}: the longest a grant may last (default: the interval)
 */
public record RateLimitConfig(Per per, Long requests, Long tokens, Duration every, OnExceeded onExceeded,
                              Set<String> approvers, Long maxExtra, Duration maxExtraFor) {

    /** Who shares a budget. */
    public enum Per { IDENTITY, GROUP }

    /** What a request over the limit gets. */
    public enum OnExceeded { REJECT, REQUIRE_APPROVAL }

    /** A limit that refuses with 429 when exceeded. */
    public RateLimitConfig(Per per, Long requests, Long tokens, Duration every) {
        this(per, requests, tokens, every, null, null, null, null);
    }

    public RateLimitConfig {
        per = per == null ? Per.IDENTITY : per;
        if ((requests == null) == (tokens == null)) {
            throw new ConfigException(null, "give exactly one of requests and tokens, e.g. {requests: 60, every: 1m}");
        }
        if (requests != null && requests < 1) {
            throw new ConfigException("requests", "must be at least 1, got " + requests);
        }
        if (tokens != null && tokens < 1) {
            throw new ConfigException("tokens", "must be at least 1, got " + tokens);
        }
        if (every == null) {
            throw new ConfigException("every", "is required, e.g. every: 1m");
        }
        if (every.isNegative() || every.isZero()) {
            throw new ConfigException("every", "must be positive, got " + Durations.format(every));
        }
        onExceeded = onExceeded == null ? OnExceeded.REJECT : onExceeded;
        approvers = approvers == null ? Set.of() : Set.copyOf(approvers);
        if (onExceeded == OnExceeded.REJECT) {
            String extra = !approvers.isEmpty() ? "approvers" : maxExtra != null ? "maxExtra"
                    : maxExtraFor != null ? "maxExtraFor" : null;
            if (extra != null) {
                throw new ConfigException(extra, "only a limit with onExceeded: require-approval has " + extra);
            }
        } else {
            maxExtra = maxExtra == null ? (requests != null ? requests : tokens) : maxExtra;
            maxExtraFor = maxExtraFor == null ? every : maxExtraFor;
            if (maxExtra < 1 || maxExtra > Integer.MAX_VALUE) {
                throw new ConfigException("maxExtra", "must be between 1 and " + Integer.MAX_VALUE + ", got "
                        + maxExtra);
            }
            if (maxExtraFor.isNegative() || maxExtraFor.isZero()) {
                throw new ConfigException("maxExtraFor", "must be positive, got " + Durations.format(maxExtraFor));
            }
        }
    }

    boolean escalates() {
        return onExceeded == OnExceeded.REQUIRE_APPROVAL;
    }

    long capacity() {
        return requests != null ? requests : tokens;
    }

    /** The bucket behind this limit: its budget, refilled whole every interval. */
    BucketLimit bucket() {
        return new BucketLimit(capacity(), every);
    }

    boolean countsTokens() {
        return tokens != null;
    }

    /** {@code 60 requests per 1m per identity}. */
    String describe() {
        return capacity() + (countsTokens() ? " tokens" : " requests") + " per " + Durations.format(every) + " per "
                + per.name().toLowerCase(java.util.Locale.ROOT);
    }
}
