package io.gatehouse.store.audit;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Where audit events are appended as {@link EventDraft}s: the replica's {@link AuditWriter}. The
 * store's own writers (approvals) use it directly; processors use the SPI's
 * {@link io.gatehouse.spi.audit.AuditLog}, which {@link StoreAuditLog} adapts to it. Thread-safe;
 * {@link #append} never blocks.
 */
public interface AuditTrail {

    /**
     * Queues an event. The future completes once the event is durable (committed and forced, or
     * fsync'd into the spool), on a thread of the trail's own pool — never the caller's and never
     * the writer's. It fails with a {@link io.gatehouse.store.StoreException} when the event cannot
     * be made durable (store down under {@code fail-closed}, queue full, trail closed).
     */
    CompletableFuture<Void> append(EventDraft event);

    /**
     * Like {@link #append(EventDraft)}, but the future is completed by a task queued on {@code completeOn}
     * (an exchange's event loop), which saves the hop through the trail's own pool. {@code completeOn}
     * must queue, never run inline; when it refuses the task, the trail's pool completes the future.
     */
    default CompletableFuture<Void> append(EventDraft event, Executor completeOn) {
        return append(event);
    }

    /** Content of {@code endpointId}'s exchanges older than {@code retention} is removed (hashes stay). */
    void retain(String endpointId, Duration retention);

    /** This replica's chain. */
    String replicaId();

    /** How the trail is doing, for {@code /readyz} and metrics. */
    AuditHealth health();

    /**
     * A trail that takes nothing: for checking a config without opening its store
     * ({@code config validate}). Every append fails naming {@code reason}.
     */
    static AuditTrail unavailable(String reason) {
        return new AuditTrail() {
            @Override
            public CompletableFuture<Void> append(EventDraft event) {
                return CompletableFuture.failedFuture(new io.gatehouse.store.StoreException(reason));
            }

            @Override
            public void retain(String endpointId, Duration retention) {
            }

            @Override
            public String replicaId() {
                return "none";
            }

            @Override
            public AuditHealth health() {
                return new AuditHealth(AuditHealth.State.FAILED, reason, 0, 0, 0, 0, 0, 0);
            }
        };
    }
}
