package io.gatehouse.processors.policy;

import io.gatehouse.spi.ConfigException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One file of {@code policies/}: a named policy, whom it applies to, and its rules in order.
 *
 * <pre>{@code
 * name: analysts
 * appliesTo: { groups: [analysts] }
 * rules:
 *   - name: chat-small
 *     effect: allow
 *     endpoints: [openai]
 *     models: [demo-small]
 *     operations: [chat]
 *     limits: { maxBatch: 2, maxTokens: 512 }
 *     rateLimits: [{ per: identity, requests: 60, every: 1m }]
 *     hideFields: [/usage, /choices/*}{@code /logprobs]
 * }</pre>
 *
 * @param name        unique among the policies; named in denials and in the audit record
 * @param description for humans
 * @param appliesTo   the groups, roles or clients the policy applies to
 * @param rules       at least one
 */
public record PolicyFile(String name, String description, AppliesTo appliesTo, List<RuleConfig> rules) {

    public PolicyFile {
        if (name == null || !RuleConfig.NAME.matcher(name).matches()) {
            throw new ConfigException("name", name == null ? "is required, e.g. name: analysts"
                    : "'" + name + "' is not a policy name (lower-case letters, digits and '-')");
        }
        if (appliesTo == null) {
            throw new ConfigException("appliesTo", "is required, e.g. appliesTo: {groups: [analysts]}");
        }
        if (rules == null || rules.isEmpty()) {
            throw new ConfigException("rules", "a policy needs at least one rule");
        }
        rules = List.copyOf(rules);
        Set<String> names = new HashSet<>();
        for (RuleConfig rule : rules) {
            if (!names.add(rule.name())) {
                throw new ConfigException("rules", "two rules are named '" + rule.name() + "'; rule names are unique in"
                        + " a policy");
            }
        }
    }
}
