package io.gatehouse.processors.policy;

/** What a rule does when it matches: written {@code allow}, {@code deny}, {@code require-approval}. */
public enum Effect {
    /** Lets the request through, within the rule's limits. */
    ALLOW,
    /** Refuses the request; a matching deny rule overrides every allow. */
    DENY,
    /** Lets the request through only with a human approval (handed to the approval step). */
    REQUIRE_APPROVAL;

    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
