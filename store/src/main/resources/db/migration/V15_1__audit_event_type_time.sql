-- Pages of exchanges read start events newest first by keyset (console and admin API): this index
-- lets a page deep in a large trail start where the last one ended instead of counting rows.
CREATE INDEX ix_audit_event_type_time ON audit_event (event_type, event_time);
