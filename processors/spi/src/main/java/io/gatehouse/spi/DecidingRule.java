package io.gatehouse.spi;

import java.util.Objects;

/**
 * The rule that decided an outcome, named in the problem+json answer and in the audit record, e.g.
 * {@code policy=analysts rule=chat-small reason="batch 16 > 8"}.
 *
 * @param policy the policy or processor that owns the rule, e.g. {@code limits}
 * @param rule   the rule's name within it, e.g. {@code max-body-bytes}
 * @param reason why it applied, for humans; never a secret
 */
public record DecidingRule(String policy, String rule, String reason) {
    public DecidingRule {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(reason, "reason");
    }
}
