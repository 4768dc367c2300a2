package io.gatehouse.store;

/** The two databases the store runs on; one schema serves both. */
public enum Dialect {
    /** Embedded, one node; commits are forced to disk with {@code CHECKPOINT SYNC}. */
    H2,
    /** Shared by several replicas; commits are durable when PostgreSQL says so. */
    POSTGRESQL
}
