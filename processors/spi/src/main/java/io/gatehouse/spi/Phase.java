package io.gatehouse.spi;

/**
 * What kind of work a processor does. The pipeline order in the endpoint's config is the order of
 * execution, and the phases make rules about it, checked when the config is loaded (an error names
 * the file, line and both steps):
 * <ul>
 *   <li>{@link #OBSERVE} steps come before every other step, so they see every exchange, denials
 *       included;</li>
 *   <li>{@link #APPROVE} and {@link #TRANSFORM} steps come after every {@link #AUTHENTICATE} and
 *       {@link #AUTHORIZE} step: an approval binds a verified caller and the policy's decision, and
 *       what is rewritten depends on who calls.</li>
 * </ul>
 * The gateway also uses the phase to decide what a processor may do, e.g. only
 * {@link #AUTHENTICATE} processors may write the {@link Identity}.
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
