package io.gatehouse.processors.approval;

import io.gatehouse.processors.support.Durations;
import io.gatehouse.spi.ConfigException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Config of the {@code approval} step. Only {@code approvers} is required.
 *
 * <pre>{@code
 * - approval:
 *     when: { operations: [batch-create, fine-tune], minBatch: 64 }
 *     approvers: [ml-leads]
 *     approvalsNeeded: 1
 *     requireReason: true
 *     requireMfa: { amr: [otp] }
 *     pendingTtl: 1h
 *     grantTtl: 15m
 *     maxUses: 1
 *     maxWait: 120s
 * }</pre>
 *
 * @param when            what the step holds on its own, besides what a policy marks with
 *                        {@code require-approval}; default: nothing of its own
 * @param approvers       groups whose members may approve or deny, when the policy names none
 * @param approvalsNeeded distinct approvers that must approve (N of the M members); default 1, at most 10
 * @param requireReason   a held request must say why ({@code Gatehouse-Reason}); else 400. Default false
 * @param requireMfa      what an approver's token must show to approve; default: nothing
 * @param pendingTtl      how long a held request waits for a decision; default 1h (1m to 7d); a
 *                        policy's {@code ttl} wins
 * @param grantTtl        how long an approval can be used; default 15m (10s to 1d)
 * @param maxUses         how many times one approval lets its request through; default 1 (exactly
 *                        once), at most 1000
 * @param maxWait         the longest {@code Prefer: wait=N} honoured; default 120s, at most 1h; 0s
 *                        turns waiting off
 * @param digestHeaders   request headers bound into the approval with method, path, query and body;
 *                        default [Content-Type]
 */
public record ApprovalConfig(ApprovalTrigger when, Set<String> approvers, Integer approvalsNeeded,
                             Boolean requireReason, ApproverMfa requireMfa, Duration pendingTtl, Duration grantTtl,
                             Integer maxUses, Duration maxWait, List<String> digestHeaders) {

    public static final Duration DEFAULT_PENDING_TTL = Duration.ofHours(1);
    public static final Duration DEFAULT_GRANT_TTL = Duration.ofMinutes(15);
    public static final Duration DEFAULT_MAX_WAIT = Duration.ofSeconds(120);
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    public ApprovalConfig {
        when = when == null ? ApprovalTrigger.none() : when;
        approvers = approvers == null ? Set.of() : Set.copyOf(approvers);
        if (approvers.isEmpty() || approvers.stream().anyMatch(String::isBlank)) {
            throw new ConfigException("approvers", "name the groups whose members may approve, e.g."
                    + " approvers: [ml-leads]");
        }
        approvalsNeeded = approvalsNeeded == null ? 1 : approvalsNeeded;
        if (approvalsNeeded < 1 || approvalsNeeded > 10) {
            throw new ConfigException("approvalsNeeded", "must be between 1 and 10, got " + approvalsNeeded);
        }
        requireReason = requireReason != null && requireReason;
        pendingTtl = within("pendingTtl", pendingTtl, DEFAULT_PENDING_TTL, Duration.ofMinutes(1), Duration.ofDays(7));
        grantTtl = within("grantTtl", grantTtl, DEFAULT_GRANT_TTL, Duration.ofSeconds(10), Duration.ofDays(1));
        maxUses = maxUses == null ? 1 : maxUses;
        if (maxUses < 1 || maxUses > 1000) {
            throw new ConfigException("maxUses", "must be between 1 and 1000, got " + maxUses);
        }
        maxWait = within("maxWait", maxWait, DEFAULT_MAX_WAIT, Duration.ZERO, Duration.ofHours(1));
        digestHeaders = digestHeaders == null ? List.of("Content-Type") : List.copyOf(digestHeaders);
        for (String name : digestHeaders) {
            if (name == null || !TOKEN.matcher(name).matches()) {
                throw new ConfigException("digestHeaders", "'" + name + "' is not a header name");
            }
            if (name.regionMatches(true, 0, "gatehouse-", 0, 10) || name.equalsIgnoreCase("authorization")) {
                throw new ConfigException("digestHeaders", "'" + name + "' changes between a request and its retry"
                        + " and cannot be bound into an approval");
            }
        }
    }

    /** Approvers and every default. */
    public static ApprovalConfig of(Set<String> approvers) {
        return new ApprovalConfig(null, approvers, null, null, null, null, null, null, null, null);
    }

    private static Duration within(String field, Duration value, Duration dflt, Duration min, Duration max) {
        Duration d = value == null ? dflt : value;
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new ConfigException(field, "must be between " + Durations.format(min) + " and "
                    + Durations.format(max) + ", got " + Durations.format(d));
        }
        return d;
    }
}
