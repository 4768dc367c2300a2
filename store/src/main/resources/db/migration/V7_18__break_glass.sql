-- Break-glass (issue #18): windows a responder opened explicitly, and each request that bypassed a rule in
-- one, waiting in a review queue until a reviewer acknowledges it. Portable types only; times are
-- microseconds since the epoch (UTC). Versioned 7.18 so that it sorts after V7 and before any V8.

CREATE TABLE break_glass_window (
    id                  VARCHAR(64)   NOT NULL,
    opener_issuer       VARCHAR(512)  NOT NULL,
    opener_subject      VARCHAR(256)  NOT NULL,
    opener_username     VARCHAR(256)  NOT NULL,
    opener_groups       VARCHAR(2048) NOT NULL,   -- comma-separated, sorted
    reason              VARCHAR(1024) NOT NULL,
    opened_at           BIGINT        NOT NULL,
    expires_at          BIGINT        NOT NULL,
    closed_at           BIGINT,
    CONSTRAINT pk_break_glass_window PRIMARY KEY (id)
);

CREATE INDEX ix_break_glass_window_opener ON break_glass_window (opener_subject, expires_at);

CREATE TABLE break_glass_use (
    id                  VARCHAR(64)   NOT NULL,
    window_id           VARCHAR(64)   NOT NULL,
    user_issuer         VARCHAR(512)  NOT NULL,
    user_subject        VARCHAR(256)  NOT NULL,
    user_username       VARCHAR(256)  NOT NULL,
    record_id           VARCHAR(128)  NOT NULL,   -- the exchange (its Gatehouse-Request-Id)
    endpoint_id         VARCHAR(128)  NOT NULL,
    rule_policy         VARCHAR(128)  NOT NULL,   -- the rule bypassed
    rule_name           VARCHAR(128)  NOT NULL,
    rule_reason         VARCHAR(1024) NOT NULL,
    justification       VARCHAR(1024) NOT NULL,
    used_at             BIGINT        NOT NULL,
    reviewer            VARCHAR(256),             -- who acknowledged it; null while it waits
    review              VARCHAR(1024),
    reviewed_at         BIGINT,
    CONSTRAINT pk_break_glass_use PRIMARY KEY (id),
    CONSTRAINT fk_break_glass_use FOREIGN KEY (window_id) REFERENCES break_glass_window (id)
);

CREATE INDEX ix_break_glass_use_review ON break_glass_use (reviewed_at, used_at);
