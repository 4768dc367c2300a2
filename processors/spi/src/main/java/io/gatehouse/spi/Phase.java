package io.gatehouse.spi;

/**
 * What kind of work a processor does. The phase is a declaration, not an ordering: the pipeline
 * order in the endpoint's config is the order of execution. The gateway uses the phase to decide
 * what a processor may do, e.g. only {@link #AUTHENTICATE} processors may write the
 * {@link Identity}.
 */
public enum Phase {
    /** Observes every exchange (recording, metrics); must never deny on its own judgement. */
    OBSERVE,
    /** Establishes who is calling; the only phase allowed to call {@link GatewayExchange#setIdentity}. */
    AUTHENTICATE,
    /** Decides whether the identified caller may do this operation (policy, limits, rates). */
    AUTHORIZE,
    /** Holds high-impact operations for a human decision. */
    APPROVE,
    /** Rewrites requests or responses (masking, field filters, header stamps). */
    TRANSFORM
}
