package io.gatehouse.store.audit;

/**
 * A snapshot of the audit writer.
 *
 * @param state     OK (writing to the store), SPOOLING (store down, writing to the local spool) or
 *                  FAILED (records cannot be made durable: exchanges are refused)
 * @param detail    why, when not OK
 * @param queued    events waiting for the writer
 * @param committed events made durable in the store since start
 * @param spooled   events made durable in the spool since start
 * @param failed    events whose append failed since start
 * @param rejected  events refused because the queue was full, since start
 * @param batches   transactions (or spool writes) since start
 */
public record AuditHealth(State state, String detail, int queued, long committed, long spooled, long failed,
                          long rejected, long batches) {

    public enum State { OK, SPOOLING, FAILED }

    /** Whether exchanges can be served: records are durable somewhere. */
    public boolean accepting() {
        return state != State.FAILED;
    }
}
