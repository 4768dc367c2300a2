package io.gatehouse.processors.policy;

import io.gatehouse.processors.support.Durations;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.ratelimit.BucketLimit;
import java.time.Duration;

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
 */
public record RateLimitConfig(Per per, Long requests, Long tokens, Duration every) {

    /** Who shares a budget. */
    public enum Per { IDENTITY, GROUP }

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
