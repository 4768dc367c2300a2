-- The audit trail: one hash chain of events per gateway replica, sealed by signed checkpoints.
-- One schema for H2 and PostgreSQL: portable types only; times are microseconds since the epoch (UTC).

CREATE TABLE audit_event (
    replica_id      VARCHAR(64)  NOT NULL,
    seq             BIGINT       NOT NULL,
    event_type      VARCHAR(16)  NOT NULL,
    record_id       VARCHAR(128) NOT NULL,
    event_time      BIGINT       NOT NULL,
    endpoint_id     VARCHAR(128) NOT NULL,
    -- Copies of payload fields for queries; audit verify checks that they match the payload.
    session_id      VARCHAR(256),
    username        VARCHAR(256),
    decision        VARCHAR(32),
    status          INTEGER,
    -- Canonical JSON, hashed as stored; NULL once retention removed the content.
    payload         TEXT,
    payload_digest  VARCHAR(64)  NOT NULL,
    prev_hash       VARCHAR(64)  NOT NULL,
    entry_hash      VARCHAR(64)  NOT NULL,
    CONSTRAINT pk_audit_event PRIMARY KEY (replica_id, seq)
);

CREATE INDEX ix_audit_event_record ON audit_event (record_id, event_type);
CREATE INDEX ix_audit_event_time ON audit_event (event_time);
CREATE INDEX ix_audit_event_user ON audit_event (username);

CREATE TABLE audit_checkpoint (
    replica_id      VARCHAR(64)  NOT NULL,
    checkpoint_no   BIGINT       NOT NULL,
    chain_seq       BIGINT       NOT NULL,
    chain_hash      VARCHAR(64)  NOT NULL,
    created_at      BIGINT       NOT NULL,
    prev_digest     VARCHAR(64)  NOT NULL,
    key_id          VARCHAR(64)  NOT NULL,
    signature       VARCHAR(256) NOT NULL,
    CONSTRAINT pk_audit_checkpoint PRIMARY KEY (replica_id, checkpoint_no)
);

-- Public keys of the replicas' audit keys, so that every chain can be verified from any node.
-- audit verify says when it trusted a key only because it was found here.
CREATE TABLE audit_key (
    key_id          VARCHAR(64)   NOT NULL,
    replica_id      VARCHAR(64)   NOT NULL,
    algorithm       VARCHAR(32)   NOT NULL,
    public_key      VARCHAR(2048) NOT NULL,
    created_at      BIGINT        NOT NULL,
    CONSTRAINT pk_audit_key PRIMARY KEY (key_id)
);
