package io.gatehouse.store.audit;

import io.gatehouse.spi.audit.AuditEntry;
import io.gatehouse.spi.audit.AuditLog;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The SPI's {@link AuditLog} over this store's audit trail: an {@link AuditEntry} becomes an
 * {@link EventDraft} (payload kept as given and digested on the caller's thread, its query columns those
 * its producer gave or else read from it as the verifier reads them), which the trail places in the replica's hash chain. What the trail refuses fails the stage with a
 * {@link io.gatehouse.store.StoreException}, which processors see as the SPI's
 * {@link io.gatehouse.spi.ServiceUnavailableException}. Thread-safe.
 */
public final class StoreAuditLog implements AuditLog {

    private final AuditTrail trail;

    public StoreAuditLog(AuditTrail trail) {
        this.trail = java.util.Objects.requireNonNull(trail, "trail");
    }

    @Override
    public CompletionStage<Void> append(AuditEntry entry) {
        return trail.append(draft(entry));
    }

    @Override
    public CompletionStage<Void> append(AuditEntry entry, Executor completeOn) {
        return trail.append(draft(entry), java.util.Objects.requireNonNull(completeOn, "completeOn"));
    }

    /** The trail's event for {@code entry}. */
    static EventDraft draft(AuditEntry entry) {
        AuditEntry.Columns columns = entry.columns();
        if (columns != null) {
            return EventDraft.ofJson(type(entry.kind()), entry.recordId(), entry.time(), entry.endpointId(),
                    entry.payload(), columns.sessionId(), columns.username(), columns.decision(), columns.status());
        }
        return EventDraft.ofJson(type(entry.kind()), entry.recordId(), entry.time(), entry.endpointId(),
                entry.payload());
    }

    static EventType type(AuditEntry.Kind kind) {
        return switch (kind) {
            case START -> EventType.START;
            case END -> EventType.END;
            case AMEND -> EventType.AMEND;
        };
    }

    @Override
    public void retain(String endpointId, Duration retention) {
        trail.retain(endpointId, retention);
    }

    @Override
    public Health health() {
        AuditHealth h = trail.health();
        return new Health(switch (h.state()) {
            case OK -> Health.State.OK;
            case SPOOLING -> Health.State.SPOOLING;
            case FAILED -> Health.State.FAILED;
        }, h.detail());
    }

    @Override
    public String toString() {
        return "AuditLog[replica " + trail.replicaId() + "]";
    }
}
