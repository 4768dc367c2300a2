-- Shared rate-limit and token-quota buckets of the policy step (Bucket4j), used when several gateway
-- replicas share one PostgreSQL store. One row per bucket: policy/rule/limit and the caller or group.
-- state is Bucket4j's serialized bucket; expires_at (epoch millis) lets idle, refilled rows be removed.
CREATE TABLE rate_limit_bucket (
    id         VARCHAR(512) NOT NULL PRIMARY KEY,
    state      BYTEA,
    expires_at BIGINT
);
