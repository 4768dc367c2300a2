package io.gatehouse.spi.audit;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The gateway's tamper-evident audit log, where processors record exchanges: a gateway service
 * ({@code services.require(AuditLog.class, "my-step")}). The built-in {@code recording} step writes
 * through it; so may a plugin. Thread-safe; {@link #append} never blocks.
 */
public interface AuditLog {

    /**
     * Queues an event. The stage completes once the event is durable (committed to the store and
     * forced, or written to the local spool when the gateway spools), never on the caller's thread.
     * It fails with a {@link io.gatehouse.spi.ServiceUnavailableException} when the event cannot be
     * made durable (store down under {@code fail-closed}, queue full, gateway shutting down): a request
     * whose start cannot be recorded must not go on.
     *
     * @throws IllegalArgumentException when the payload is not one JSON object
     */
    CompletionStage<Void> append(AuditEntry entry);

    /**
     * Like {@link #append(AuditEntry)}, but the stage is completed by a task queued on {@code completeOn},
     * typically the exchange's {@link io.gatehouse.spi.GatewayExchange#eventLoop() event loop}: the
     * caller's pipeline then goes on where it lives, without a hop through the log's own threads.
     * {@code completeOn} must queue tasks, never run them inline (the log's writer must never run a
     * caller's continuation). When it refuses a task (shutting down), the log completes the stage on
     * its own threads. The default ignores {@code completeOn}.
     */
    default CompletionStage<Void> append(AuditEntry entry, Executor completeOn) {
        return append(entry);
    }

    /**
     * Asks that the content of {@code endpointId}'s exchanges be removed once older than
     * {@code retention}; their hashes stay, so the chain still verifies. The latest call per endpoint wins.
     */
    void retain(String endpointId, Duration retention);

    /** Whether events can be made durable now, for a step that would rather refuse early. */
    Health health();

    /**
     * How the log is doing.
     *
     * @param state  {@code OK} (writing to the store), {@code SPOOLING} (store down, events kept in a local
     *               spool) or {@code FAILED} (events cannot be made durable)
     * @param detail why, when not {@code OK}; otherwise null
     */
    record Health(State state, String detail) {

        public enum State { OK, SPOOLING, FAILED }

        public Health {
            java.util.Objects.requireNonNull(state, "state");
        }

        /** Whether appends can succeed: events are durable somewhere. */
        public boolean accepting() {
            return state != State.FAILED;
        }
    }
}
