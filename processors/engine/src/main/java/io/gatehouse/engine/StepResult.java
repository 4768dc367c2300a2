package io.gatehouse.engine;

import io.gatehouse.spi.Outcome;

/**
 * What one step's request phase came to, after the engine checked the chain contract. A listener
 * turns it into its own protocol's answer (problem+json, a gRPC status).
 */
public sealed interface StepResult {

    /** The step passed the request on. */
    record Proceed() implements StepResult {
    }

    /** The step refused the request. */
    record Denied(Outcome.Deny denial) implements StepResult {
    }

    /** The step answered the request itself; the agent is not called. */
    record Responded(Outcome.Respond answer) implements StepResult {
    }

    /**
     * The step broke the contract (threw, returned null, failed its stage).
     *
     * @param message names the step and what it did, e.g. {@code processor 'x' on endpoint 'y' threw ...}
     * @param cause   what it threw or failed with, or null
     */
    record Broken(String message, Throwable cause) implements StepResult {
    }

    StepResult PROCEED = new Proceed();

    /** The result of a well-formed outcome. */
    static StepResult of(Outcome outcome) {
        if (outcome instanceof Outcome.Deny deny) {
            return new Denied(deny);
        }
        if (outcome instanceof Outcome.Respond respond) {
            return new Responded(respond);
        }
        return PROCEED;
    }
}
