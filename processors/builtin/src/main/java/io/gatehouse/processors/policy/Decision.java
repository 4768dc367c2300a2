package io.gatehouse.processors.policy;

import io.gatehouse.spi.DecidingRule;
import java.util.List;

/**
 * What the policies decided for one request, and why.
 *
 * @param verdict allow, deny or require approval
 * @param rule    the deciding rule: policy, rule and reason, as denials and audit records name it
 * @param by      the rule that allowed (or asks for approval), whose limits, rates and field visibility
 *                apply; null for a denial
 * @param trail   every rule considered and what became of it, in order; empty unless asked for
 */
public record Decision(Verdict verdict, DecidingRule rule, CompiledRule by, List<String> trail) {

    /** The three possible decisions. */
    public enum Verdict {
        ALLOW, DENY, REQUIRE_APPROVAL;

        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    public Decision {
        trail = List.copyOf(trail);
    }
}
