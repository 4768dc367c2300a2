package io.gatehouse.spi;

import java.time.Duration;

/**
 * How an exchange ended, given to {@link GatewayProcessor#onComplete}.
 *
 * @param kind     answered by the model, denied by a step, answered by a step, failed, or abandoned
 * @param status   the status the client saw (or would have seen, when it left)
 * @param denial   the denial when {@code kind} is DENIED, else null
 * @param error    a short description of the failure when {@code kind} is FAILED or CLIENT_GONE, else
 *                 null; never a secret
 * @param duration from the first byte received to the last byte sent
 */
public record Completion(Kind kind, int status, Outcome.Deny denial, String error, Duration duration) {

    public enum Kind { ANSWERED, DENIED, RESPONDED, FAILED, CLIENT_GONE }
}
