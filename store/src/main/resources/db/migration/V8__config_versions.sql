-- The config version each gateway replica serves, so that every replica's /admin/config shows them all
-- (drift between replicas on one store). The history of versions is in the audit chain (event type
-- 'config'); this table holds only the latest per replica.
CREATE TABLE config_replica (
    replica_id      VARCHAR(64)   NOT NULL,
    version         VARCHAR(80)   NOT NULL,
    applied_at      BIGINT        NOT NULL,
    applied_by      VARCHAR(256),
    seen_at         BIGINT        NOT NULL,
    CONSTRAINT pk_config_replica PRIMARY KEY (replica_id)
);
