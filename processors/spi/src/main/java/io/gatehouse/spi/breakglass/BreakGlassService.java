package io.gatehouse.spi.breakglass;

import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.approval.Person;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The gateway's break-glass windows and their uses, kept in its store (shared by replicas): a gateway
 * service ({@code services.find(BreakGlassService.class)}). Windows are opened and closed, and uses
 * acknowledged, through the admin API; a step asks whether a caller's window is open and records each use
 * before the request goes on. Nothing blocks the caller; a stage fails with a
 * {@link io.gatehouse.spi.ServiceUnavailableException} when the store cannot answer (then: no bypass).
 */
public interface BreakGlassService {

    /** The settings of {@code gateway.yaml}'s {@code breakGlass:} section in force. */
    BreakGlassSettings settings();

    /** The window {@code who} has open now, if any. */
    CompletionStage<Optional<BreakGlassWindow>> openWindow(Person who);

    /**
     * Records a use (durably, with an audit event) and announces it to the listeners at once; completes with
     * the use, now in the review queue.
     */
    CompletionStage<BreakGlassUse> recordUse(BreakGlassWindow window, Person user, String recordId,
                                             String endpointId, DecidingRule bypassed, String justification);

    /**
     * Adds, or replaces, the listener called {@code name}: told of each use the moment it is recorded (e.g.
     * webhooks), on a thread of the service; it must neither block nor throw.
     */
    void listen(String name, java.util.function.Consumer<BreakGlassUse> listener);

    /** Removes the listener called {@code name}, if any. */
    void stopListening(String name);
}
