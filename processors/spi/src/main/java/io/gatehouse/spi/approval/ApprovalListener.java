package io.gatehouse.spi.approval;

/**
 * Told of every {@link ApprovalEvent} after it is committed, on a thread of the approvals service.
 * Must not block for long and must not throw (a throw is logged and ignored).
 */
@FunctionalInterface
public interface ApprovalListener {

    void onEvent(ApprovalEvent event);
}
