package io.gatehouse.store.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/** The SQL of the audit tables; portable between H2 and PostgreSQL. */
final class AuditRepository {

    static final String EVENT_COLUMNS = "replica_id, seq, event_type, record_id, event_time, endpoint_id, session_id,"
            + " username, decision, status, payload, payload_digest, prev_hash, entry_hash";

    /** The last event of a chain. */
    record Head(long seq, String hash) {
    }

    private AuditRepository() {
    }

    static void insertEvents(Connection c, List<AuditEvent> events) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit_event (" + EVENT_COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (AuditEvent e : events) {
                ps.setString(1, e.replicaId());
                ps.setLong(2, e.seq());
                ps.setString(3, e.type());
                ps.setString(4, e.recordId());
                ps.setLong(5, e.timeMicros());
                ps.setString(6, e.endpointId());
                ps.setString(7, e.sessionId());
                ps.setString(8, e.username());
                ps.setString(9, e.decision());
                if (e.status() == null) {
                    ps.setNull(10, Types.INTEGER);
                } else {
                    ps.setInt(10, e.status());
                }
                ps.setString(11, e.payload());
                ps.setString(12, e.payloadDigest());
                ps.setString(13, e.prevHash());
                ps.setString(14, e.hash());
                ps.addBatch();
            }
            executeBatch(ps);
        }
    }

    /**
     * pgjdbc (42.7) throws an {@link AssertionError} from {@code executeBatch} when the connection breaks
     * mid-batch (its result handler asks the closed connection for its auto-commit mode): to the writer that is
     * a broken connection like any other, so it is one here.
     */
    private static void executeBatch(PreparedStatement ps) throws SQLException {
        try {
            ps.executeBatch();
        } catch (AssertionError driverFailedOnABrokenConnection) {
            throw new SQLException("the connection to the store broke during a batch insert ("
                    + driverFailedOnABrokenConnection.getMessage() + ")", "08006", driverFailedOnABrokenConnection);
        }
    }

    static AuditEvent readEvent(ResultSet rs) throws SQLException {
        int status = rs.getInt("status");
        Integer boxed = rs.wasNull() ? null : status;
        return new AuditEvent(rs.getString("replica_id"), rs.getLong("seq"), rs.getString("event_type"),
                rs.getString("record_id"), rs.getLong("event_time"), rs.getString("endpoint_id"),
                rs.getString("session_id"), rs.getString("username"), rs.getString("decision"), boxed,
                rs.getString("payload"), rs.getString("payload_digest"), rs.getString("prev_hash"),
                rs.getString("entry_hash"));
    }

    static void insertCheckpoint(Connection c, Checkpoint cp) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit_checkpoint (replica_id, checkpoint_no,"
                + " chain_seq, chain_hash, created_at, prev_digest, key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, cp.replicaId());
            ps.setLong(2, cp.number());
            ps.setLong(3, cp.chainSeq());
            ps.setString(4, cp.chainHash());
            ps.setLong(5, cp.createdAtMicros());
            ps.setString(6, cp.prevDigest());
            ps.setString(7, cp.keyId());
            ps.setString(8, cp.signature());
            ps.executeUpdate();
        }
    }

    static Checkpoint readCheckpoint(ResultSet rs) throws SQLException {
        return new Checkpoint(rs.getString("replica_id"), rs.getLong("checkpoint_no"), rs.getLong("chain_seq"),
                rs.getString("chain_hash"), rs.getLong("created_at"), rs.getString("prev_digest"),
                rs.getString("key_id"), rs.getString("signature"));
    }

    static List<Checkpoint> checkpoints(Connection c, String replica) throws SQLException {
        List<Checkpoint> all = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT * FROM audit_checkpoint WHERE replica_id = ? ORDER BY checkpoint_no")) {
            ps.setString(1, replica);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    all.add(readCheckpoint(rs));
                }
            }
        }
        return all;
    }

    static Optional<Checkpoint> lastCheckpoint(Connection c, String replica) throws SQLException {
        return lastCheckpoint(c, replica, 0);
    }

    /**
     * The replica's newest checkpoint, looked for from number {@code atLeast} on (0: from the start). H2 reads
     * {@code ORDER BY ... DESC LIMIT 1} by walking the whole key range, so a writer that knows where the chain
     * was says so and the query reads a few rows instead of all of them.
     */
    static Optional<Checkpoint> lastCheckpoint(Connection c, String replica, long atLeast) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM audit_checkpoint WHERE replica_id = ?"
                + " AND checkpoint_no >= ? ORDER BY checkpoint_no DESC LIMIT 1")) {
            ps.setString(1, replica);
            ps.setLong(2, atLeast);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return Optional.of(readCheckpoint(rs));
                }
            }
        }
        return atLeast > 0 ? lastCheckpoint(c, replica, 0) : Optional.empty();
    }

    static Optional<Head> head(Connection c, String replica) throws SQLException {
        return head(c, replica, 0);
    }

    /** The replica's newest event, looked for from {@code atLeastSeq} on (see {@link #lastCheckpoint}). */
    static Optional<Head> head(Connection c, String replica, long atLeastSeq) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT seq, entry_hash FROM audit_event WHERE replica_id = ?"
                + " AND seq >= ? ORDER BY seq DESC LIMIT 1")) {
            ps.setString(1, replica);
            ps.setLong(2, atLeastSeq);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return Optional.of(new Head(rs.getLong(1), rs.getString(2)));
                }
            }
        }
        return atLeastSeq > 0 ? head(c, replica, 0) : Optional.empty();
    }

    /** The hash stored at {@code seq}, if that event exists. */
    static Optional<String> hashAt(Connection c, String replica, long seq) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT entry_hash FROM audit_event WHERE replica_id = ? AND seq = ?")) {
            ps.setString(1, replica);
            ps.setLong(2, seq);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    /** An exchange of this replica that started and never ended (the process died in between). */
    record Dangling(String recordId, String endpointId) {
    }

    static List<Dangling> danglingStarts(Connection c, String replica) throws SQLException {
        List<Dangling> found = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT s.record_id, s.endpoint_id FROM audit_event s"
                + " WHERE s.replica_id = ? AND s.event_type = 'start' AND NOT EXISTS (SELECT 1 FROM audit_event e"
                + " WHERE e.record_id = s.record_id AND e.event_type = 'end') ORDER BY s.seq")) {
            ps.setString(1, replica);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(new Dangling(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return found;
    }

    /** Records the public half of a replica's key so any node can verify its checkpoints. */
    static void registerKey(Connection c, String replica, AuditKey key, long nowMicros) throws SQLException {
        try (PreparedStatement check = c.prepareStatement("SELECT 1 FROM audit_key WHERE key_id = ?")) {
            check.setString(1, key.keyId());
            try (ResultSet rs = check.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit_key (key_id, replica_id, algorithm,"
                + " public_key, created_at) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, key.keyId());
            ps.setString(2, replica);
            ps.setString(3, AuditKey.ALGORITHM);
            ps.setString(4, Base64.getEncoder().encodeToString(key.publicKey().getEncoded()));
            ps.setLong(5, nowMicros);
            ps.executeUpdate();
        }
    }

    static List<String> replicas(Connection c) throws SQLException {
        List<String> all = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT replica_id FROM audit_event UNION"
                + " SELECT replica_id FROM audit_checkpoint ORDER BY 1");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                all.add(rs.getString(1));
            }
        }
        return all;
    }
}
