package io.gatehouse.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * A request over a rate limit or token quota whose rule says {@code onExceeded: require-approval}: instead
 * of a 429 the caller is held for an approver, who grants "N more requests (or tokens) for T". The grant
 * is bound to the caller and the quota (not to one request body), used by every request over that quota
 * that carries the approval's id, and bounded: at most {@code maxExtra}, for at most {@code maxFor}.
 *
 * @param scope    the quota this grant extends, e.g. {@code analysts/chat-small#0/i:issuer|subject};
 *                 the approval is bound to it instead of the request's digest
 * @param unit     {@code requests} or {@code tokens}
 * @param limit    the quota as configured, for people: {@code 60 requests per 1m per identity}
 * @param maxExtra the most an approver may grant
 * @param maxFor   the longest an approver may grant it for
 */
public record QuotaEscalation(String scope, String unit, String limit, long maxExtra, Duration maxFor) {

    public QuotaEscalation {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(limit, "limit");
        Objects.requireNonNull(maxFor, "maxFor");
        if (maxExtra < 1) {
            throw new IllegalArgumentException("maxExtra must be at least 1, got " + maxExtra);
        }
    }

    /** True for a token quota: the answers' tokens are charged to the grant. */
    public boolean countsTokens() {
        return "tokens".equals(unit);
    }
}
