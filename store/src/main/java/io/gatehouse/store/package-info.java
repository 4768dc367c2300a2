/**
 * The gateway's store: one schema on H2 (embedded default) or PostgreSQL (several replicas),
 * migrated by Flyway. {@link io.gatehouse.store.audit} keeps the tamper-evident audit trail in it,
 * {@link io.gatehouse.store.approval} the approvals, {@link io.gatehouse.store.ratelimit} the rate-limit
 * buckets replicas share. Processors never see these classes: the store implements the SPI's services
 * ({@code AuditLog} through {@link io.gatehouse.store.audit.StoreAuditLog}, {@code ApprovalService},
 * {@code RateLimitBuckets}) and the gateway offers those.
 */
package io.gatehouse.store;
