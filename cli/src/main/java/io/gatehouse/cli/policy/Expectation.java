package io.gatehouse.cli.policy;

import io.gatehouse.spi.ConfigException;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * What the policies must decide for a case. Only what is written is compared.
 *
 * @param decision     {@code allow}, {@code deny} or {@code require-approval}
 * @param rule         the deciding rule as {@code policy/rule}, e.g. {@code analysts/chat-small}
 *                     ({@code default/default-deny} when no rule allows)
 * @param status       the gateway's answer: 200 forwarded, 202 held, 403, 429, 400 …
 * @param reason       text the reason must contain, e.g. {@code batch 16 > 8}
 * @param hiddenFields the JSON Pointers removed from the answer, exactly (an empty list: none)
 * @param approval     the approval hold: who may approve, how long it waits
 */
public record Expectation(PolicyDryRun.Verdict decision, String rule, Integer status, String reason,
                          List<String> hiddenFields, ApprovalHold approval) {

    /**
     * @param approvers the approver groups the rule names, exactly
     * @param ttl       how long the held request waits (the rule's approvalTtl)
     */
    public record ApprovalHold(Set<String> approvers, Duration ttl) {
        public ApprovalHold {
            approvers = approvers == null ? null : Set.copyOf(approvers);
        }
    }

    public Expectation {
        if (decision == null) {
            throw new ConfigException("decision", "is required: allow, deny or require-approval");
        }
        if (rule != null && !rule.matches("[^/\\s]+/[^/\\s]+")) {
            throw new ConfigException("rule", "'" + rule + "' is not policy/rule, e.g. analysts/chat-small");
        }
        if (status != null && (status < 100 || status > 599)) {
            throw new ConfigException("status", "'" + status + "' is not an HTTP status");
        }
        hiddenFields = hiddenFields == null ? null : List.copyOf(hiddenFields);
        if (approval != null && decision != PolicyDryRun.Verdict.REQUIRE_APPROVAL) {
            throw new ConfigException("approval", "only a require-approval expectation has an approval hold");
        }
    }
}
