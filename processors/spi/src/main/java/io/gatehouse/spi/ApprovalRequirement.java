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
 */
public record ApprovalRequirement(DecidingRule rule, Set<String> approverGroups, Duration ttl) {

    public ApprovalRequirement {
        Objects.requireNonNull(rule, "rule");
        approverGroups = Set.copyOf(approverGroups);
    }
}
