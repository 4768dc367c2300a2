/**
 * The gateway's store: one schema on H2 (embedded default) or PostgreSQL (several replicas),
 * migrated by Flyway. {@link io.gatehouse.store.audit} keeps the tamper-evident audit trail in it.
 */
package io.gatehouse.store;
