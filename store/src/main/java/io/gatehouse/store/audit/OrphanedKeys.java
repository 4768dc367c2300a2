package io.gatehouse.store.audit;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Key entries that H2 (2.3.232, and 2.4.240 alike) can leave behind a {@code kill -9}: an insert that was
 * never committed, written to disk while its transaction's undo log was saved empty, so that the rollback
 * at reopen does not know it. Nothing holds it, nothing removes it, and an insert of the same key then
 * waits for a transaction that no longer exists: "Concurrent update" retried until "Timeout trying to lock
 * table" (50200), or "duplicate key" (23505) when the new session happens to get the dead one's id. Seen
 * at recovery, when the journal re-inserts events the store does not show (about 1 start in 150 in the
 * crash test). Reopening does not clear it; rebuilding the key from the rows does.
 *
 * <p>Since {@code H2CrashRepair} rolls such entries back when a store that was not closed cleanly opens,
 * this rebuild is the fallback for a store that repair could not look at (a database another opener in the
 * same JVM already had open, or an H2 whose engine classes changed).
 */
final class OrphanedKeys {

    private static final int DUPLICATE_KEY = 23505;
    private static final int LOCK_TIMEOUT = 50200;
    private static final int CONCURRENT_UPDATE = 90131;

    private OrphanedKeys() {
    }

    /** Whether {@code e} is how an insert meets such an entry. */
    static boolean blocked(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                int code = sql.getErrorCode();
                if (code == LOCK_TIMEOUT || code == CONCURRENT_UPDATE
                        || code == DUPLICATE_KEY || "23505".equals(sql.getSQLState())) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Rebuilds the audit tables' primary keys from their rows, which drops every entry no committed row
     * backs. H2 only (DDL commits on its own); seconds on a large trail, and only after a crash left one.
     */
    static void rebuild(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("ALTER TABLE audit_event DROP CONSTRAINT IF EXISTS pk_audit_event");
            s.execute("ALTER TABLE audit_checkpoint DROP CONSTRAINT IF EXISTS pk_audit_checkpoint");
        }
        restoreIfMissing(c);
    }

    /** Adds a primary key a rebuild dropped and a crash kept from adding again. */
    static void restoreIfMissing(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            if (!exists(s, "PK_AUDIT_EVENT")) {
                s.execute("ALTER TABLE audit_event ADD CONSTRAINT pk_audit_event PRIMARY KEY (replica_id, seq)");
            }
            if (!exists(s, "PK_AUDIT_CHECKPOINT")) {
                s.execute("ALTER TABLE audit_checkpoint ADD CONSTRAINT pk_audit_checkpoint PRIMARY KEY (replica_id,"
                        + " checkpoint_no)");
            }
        }
    }

    private static boolean exists(Statement s, String constraint) throws SQLException {
        try (java.sql.ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS"
                + " WHERE CONSTRAINT_NAME = '" + constraint + "'")) {
            rs.next();
            return rs.getLong(1) > 0;
        }
    }
}
