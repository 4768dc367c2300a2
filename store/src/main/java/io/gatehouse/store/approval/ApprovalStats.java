package io.gatehouse.store.approval;

import io.gatehouse.spi.approval.ApprovalEvent;
import io.gatehouse.spi.approval.NotificationStats;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Counters of the approvals service, for {@code /metrics}. Thread-safe. */
public final class ApprovalStats implements NotificationStats {

    private final Map<ApprovalEvent.Kind, AtomicLong> events = new EnumMap<>(ApprovalEvent.Kind.class);
    private final AtomicLong notificationsDelivered = new AtomicLong();
    private final AtomicLong notificationsRetried = new AtomicLong();
    private final AtomicLong notificationsFailed = new AtomicLong();
    private final AtomicLong waiting = new AtomicLong();

    ApprovalStats() {
        for (ApprovalEvent.Kind kind : ApprovalEvent.Kind.values()) {
            events.put(kind, new AtomicLong());
        }
    }

    void event(ApprovalEvent.Kind kind) {
        events.get(kind).incrementAndGet();
    }

    /** Events of this kind on this replica since start. */
    public long events(ApprovalEvent.Kind kind) {
        return events.get(kind).get();
    }

    /** A webhook accepted a notification. */
    @Override
    public void notificationDelivered() {
        notificationsDelivered.incrementAndGet();
    }

    /** A webhook delivery failed and will be tried again. */
    @Override
    public void notificationRetried() {
        notificationsRetried.incrementAndGet();
    }

    /** A webhook delivery failed for good (every retry spent, or refused). */
    @Override
    public void notificationFailed() {
        notificationsFailed.incrementAndGet();
    }

    public long notificationsDelivered() {
        return notificationsDelivered.get();
    }

    public long notificationsRetried() {
        return notificationsRetried.get();
    }

    public long notificationsFailed() {
        return notificationsFailed.get();
    }

    void waiting(long delta) {
        waiting.addAndGet(delta);
    }

    /** Connections held open now ({@code Prefer: wait}) for a decision. */
    public long waiting() {
        return waiting.get();
    }
}
