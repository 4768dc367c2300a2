package io.gatehouse.store.audit;

/** What the gateway does when the store cannot take a record (config {@code store.onStoreFailure}). */
public enum FailurePolicy {
    /** Refuse: the exchange is answered 503 and not forwarded; a held answer ends as failed. The default. */
    FAIL_CLOSED,
    /** Append to a local fsync'd spool and carry on; the spool is drained into the store when it answers. */
    SPOOL
}
