package io.gatehouse.spi.approval;

/**
 * Counters of the notifications an {@link ApprovalListener} sends about approval events (webhooks,
 * chat messages), shown in the gateway's {@code /metrics}. Thread-safe.
 */
public interface NotificationStats {

    /** A receiver accepted a notification. */
    void notificationDelivered();

    /** A delivery failed and will be tried again. */
    void notificationRetried();

    /** A delivery failed for good (every retry spent, or refused). */
    void notificationFailed();
}
