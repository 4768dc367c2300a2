-- Approvals (issue #7): requests held for a human decision, and the decisions on them.
-- Versioned V7 after the issue, so that migrations of other work (V2..V6) keep their order.
-- One schema for H2 and PostgreSQL: portable types only; times are microseconds since the epoch (UTC).

CREATE TABLE approval_request (
    id                  VARCHAR(64)   NOT NULL,
    status              VARCHAR(16)   NOT NULL,   -- pending, approved, denied, expired, cancelled, used
    endpoint_id         VARCHAR(128)  NOT NULL,
    request_record_id   VARCHAR(128)  NOT NULL,   -- the exchange that was held (its Gatehouse-Request-Id)
    requester_issuer    VARCHAR(512)  NOT NULL,
    requester_subject   VARCHAR(256)  NOT NULL,
    requester_username  VARCHAR(256)  NOT NULL,
    requester_groups    VARCHAR(2048) NOT NULL,   -- comma-separated, sorted
    operation_kind      VARCHAR(32)   NOT NULL,
    model               VARCHAR(256),
    batch_size          INTEGER       NOT NULL,
    method              VARCHAR(16)   NOT NULL,
    path                VARCHAR(2048) NOT NULL,
    request_digest      VARCHAR(64)   NOT NULL,   -- SHA-256 of the canonical request, hex
    summary             VARCHAR(512)  NOT NULL,
    reason              VARCHAR(1024),
    rule_policy         VARCHAR(128)  NOT NULL,
    rule_name           VARCHAR(128)  NOT NULL,
    rule_reason         VARCHAR(1024) NOT NULL,
    approver_groups     VARCHAR(2048) NOT NULL,   -- comma-separated, sorted
    approvals_needed    INTEGER       NOT NULL,
    mfa_acr             VARCHAR(512)  NOT NULL,   -- comma-separated; both empty = no second factor needed
    mfa_amr             VARCHAR(512)  NOT NULL,
    max_uses            INTEGER       NOT NULL,
    uses                INTEGER       NOT NULL,
    grant_ttl_ms        BIGINT        NOT NULL,
    created_at          BIGINT        NOT NULL,
    expires_at          BIGINT        NOT NULL,   -- a pending request expires then
    decided_at          BIGINT,
    grant_expires_at    BIGINT,                   -- an approved request can be used until then
    CONSTRAINT pk_approval_request PRIMARY KEY (id)
);

CREATE INDEX ix_approval_request_status ON approval_request (status, expires_at);
CREATE INDEX ix_approval_request_requester ON approval_request (requester_subject);

-- One decision per person and request: approve or deny, with the approver's reason.
CREATE TABLE approval_vote (
    approval_id         VARCHAR(64)   NOT NULL,
    voter_issuer        VARCHAR(512)  NOT NULL,
    voter_subject       VARCHAR(256)  NOT NULL,
    voter_username      VARCHAR(256)  NOT NULL,
    decision            VARCHAR(16)   NOT NULL,   -- approve, deny
    reason              VARCHAR(1024) NOT NULL,
    voted_at            BIGINT        NOT NULL,
    CONSTRAINT pk_approval_vote PRIMARY KEY (approval_id, voter_issuer, voter_subject),
    CONSTRAINT fk_approval_vote FOREIGN KEY (approval_id) REFERENCES approval_request (id)
);

-- Each exchange that an approval let through.
CREATE TABLE approval_use (
    approval_id         VARCHAR(64)   NOT NULL,
    record_id           VARCHAR(128)  NOT NULL,
    used_at             BIGINT        NOT NULL,
    CONSTRAINT pk_approval_use PRIMARY KEY (approval_id, record_id),
    CONSTRAINT fk_approval_use FOREIGN KEY (approval_id) REFERENCES approval_request (id)
);
