package io.gatehouse.spi;

import java.time.Instant;

/** Attribute keys the gateway itself honours. */
public final class StandardAttributes {

    /**
     * When the whole exchange must be over. Set by a step (e.g. {@code limits.requestTimeout});
     * the call to the agent is cancelled at this instant and the client gets 504. The earliest
     * deadline wins: a step should only ever shorten it.
     */
    public static final AttributeKey<Instant> DEADLINE = AttributeKey.of("gatehouse.deadline", Instant.class);

    /**
     * A short-lived JWT signed by the gateway ({@link GatewaySigner}) naming the verified caller, for
     * the model server: the agent sends it as the {@code Gatehouse-Identity} request header (the only
     * {@code Gatehouse-*} header that reaches a model server). Set by the {@code auth} step when its
     * endpoint forwards the identity; absent otherwise.
     */
    public static final AttributeKey<String> IDENTITY_TOKEN = AttributeKey.of("gatehouse.identity-token", String.class);

    /**
     * Set by a policy step when the request needs a human approval (effect {@code require-approval});
     * read by the approval step. See {@link ApprovalRequirement}.
     */
    public static final AttributeKey<ApprovalRequirement> APPROVAL_REQUIRED =
            AttributeKey.of("gatehouse.approval-required", ApprovalRequirement.class);

    /**
     * The rule that allowed the exchange; a policy step sets it. Recorded, and carried to the agent (a
     * per-request upstream token names it).
     */
    public static final AttributeKey<DecidingRule> POLICY_DECISION = AttributeKey.of("policy.decision",
            DecidingRule.class);

    /** Set by the approval step to the id of the approval that let this request through; recorded in the audit record. */
    public static final AttributeKey<String> APPROVAL_ID = AttributeKey.of("gatehouse.approval-id", String.class);

    /**
     * Values masked in this exchange, per detector id ({@code email}, {@code credit-card}, a pattern's
     * name …) as {@code Map<String, Integer>}: written by the masking step as it masks (a stream's counts
     * grow as it passes), read by the recording step and the gateway's metrics once the exchange ends.
     */
    @SuppressWarnings("rawtypes")
    public static final AttributeKey<java.util.Map> MASKING_COUNTS = AttributeKey.of("masking.counts",
            java.util.Map.class);

    /**
     * The version (content digest, {@code sha256:...}) of the gateway config whose pipeline serves this
     * exchange, set by the gateway when the exchange opens. An exchange keeps the pipeline it opened on
     * even when a reload applies a newer config meanwhile; the recording step writes it into the record,
     * so an auditor can tell which policy, as it stood then, decided.
     */
    public static final AttributeKey<String> CONFIG_VERSION = AttributeKey.of("gatehouse.config-version", String.class);

    private StandardAttributes() {
    }
}
