package io.gatehouse.spi;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * A decision that this exact request needs a human approval before it may reach the model. A
 * policy step puts it in {@link StandardAttributes#APPROVAL_REQUIRED}; the approval step (which
 * must come later in the pipeline) holds the request, or lets it through when an approval bound to
 * it exists. Without an approval step in the pipeline the gateway denies the request: a required
 * approval never degrades to "allowed".
 *
 * @param rule           the policy rule that asked for the approval
 * @param approverGroups groups whose members may approve; empty = the approval step's default
 * @param ttl            how long a held request waits for a decision; null = the approval step's default
 * @param quota          set when the request is over a quota that escalates instead of refusing: the
 *                       approval is bound to that quota and grants more of it; null for a request that
 *                       needs an approval of its own
 */
public record ApprovalRequirement(DecidingRule rule, Set<String> approverGroups, Duration ttl, QuotaEscalation quota) {

    public ApprovalRequirement {
        Objects.requireNonNull(rule, "rule");
        approverGroups = Set.copyOf(approverGroups);
    }

    /** A requirement for this very request (no quota). */
    public ApprovalRequirement(DecidingRule rule, Set<String> approverGroups, Duration ttl) {
        this(rule, approverGroups, ttl, null);
    }
}
