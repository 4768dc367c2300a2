package io.gatehouse.store.audit;

import static io.gatehouse.store.audit.Events.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.store.Dialect;
import io.gatehouse.store.TestStores;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tampering with the stored chain, done the way someone with write access to the database would:
 * random single-byte changes to any column, deleted events, swapped events, edited checkpoints.
 * Every case runs in a transaction that is rolled back, so each starts from the intact chain.
 * Each must be detected, and the report must name the first event that was touched.
 */
class TamperDetectionTest {

    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    /** Columns a single-byte change may hit (the key columns, replica and seq, identify the row). */
    private static final List<String> COLUMNS = List.of("event_type", "record_id", "event_time", "endpoint_id",
            "session_id", "username", "decision", "status", "payload", "payload_digest", "prev_hash", "entry_hash");

    @TempDir
    Path temp;

    private final long seed = System.nanoTime();
    private final Random random = new Random(seed);

    @Test
    void everyTamperingOfAnH2ChainIsDetectedAndTheFirstTouchedEventIsNamed() throws Exception {
        tamper(Dialect.H2, 1000, 100, 100, 10);
    }

    @Test
    void everyTamperingOfAPostgresChainIsDetectedAndTheFirstTouchedEventIsNamed() throws Exception {
        tamper(Dialect.POSTGRESQL, 100, 10, 10, 3);
    }

    @Test
    void untouchedChainsRaiseNoAlarm() throws Exception {
        try (TestStores stores = TestStores.create(Dialect.H2, temp)) {
            for (int chain = 0; chain < 30; chain++) {
                AuditSettings settings = AuditSettings.defaults("r-" + chain, temp.resolve("data-" + chain))
                        .withCheckpoints(1 + random.nextInt(20), Duration.ofHours(1));
                try (AuditWriter writer = AuditWriter.start(stores.store(), settings, Clock.systemUTC())) {
                    write(writer, 1 + random.nextInt(15));
                }
            }
            try (Connection c = stores.store().connection()) {
                VerifyReport report = AuditVerifier.verify(c, TrustedKeys.none().withStoreKeys(c));
                assertThat(report.chains()).hasSize(30);
                assertThat(report.ok()).as(report.describe()).isTrue();
            }
        }
    }

    private void tamper(Dialect dialect, int byteChanges, int deletions, int swaps, int checkpointEdits)
            throws Exception {
        try (TestStores stores = TestStores.create(dialect, temp)) {
            AuditSettings settings = AuditSettings.defaults("r-tamper", temp.resolve("data"))
                    .withCheckpoints(25, Duration.ofHours(1));
            try (AuditWriter writer = AuditWriter.start(stores.store(), settings, Clock.systemUTC())) {
                write(writer, 80);
            }
            List<AuditEvent> rows = Events.rows(stores.store());
            assertThat(rows).hasSize(161);
            try (Connection c = stores.store().connection()) {
                c.setAutoCommit(false);
                TrustedKeys keys = TrustedKeys.none().pin(settings.keyDirectory().resolve(AuditKey.PUBLIC_FILE));
                assertThat(AuditVerifier.verify(c, keys).ok()).as("the intact chain verifies").isTrue();

                for (int i = 0; i < byteChanges; i++) {
                    AuditEvent row = rows.get(random.nextInt(rows.size()));
                    String column = changeOneByte(c, row);
                    expectDetected(c, keys, row.seq(), null, "byte change #" + i + " in " + column + " of seq " + row.seq());
                }
                for (int i = 0; i < deletions; i++) {
                    AuditEvent row = rows.get(random.nextInt(rows.size()));
                    update(c, "DELETE FROM audit_event WHERE replica_id = ? AND seq = ?", row.replicaId(), row.seq());
                    expectDetected(c, keys, row.seq(), VerifyReport.Kind.DELETED, "deletion of seq " + row.seq());
                }
                for (int i = 0; i < swaps; i++) {
                    int a = random.nextInt(rows.size() - 1);
                    int b = a + 1 + random.nextInt(rows.size() - a - 1);
                    put(c, rows.get(a).seq(), rows.get(b));
                    put(c, rows.get(b).seq(), rows.get(a));
                    expectDetected(c, keys, rows.get(a).seq(), VerifyReport.Kind.REORDERED,
                            "swap of seq " + rows.get(a).seq() + " and " + rows.get(b).seq());
                }
                long checkpoints = Events.count(stores.store(), "SELECT COUNT(*) FROM audit_checkpoint");
                for (int i = 0; i < checkpointEdits; i++) {
                    long number = 1 + random.nextInt((int) checkpoints);
                    String column = List.of("chain_hash", "signature", "prev_digest").get(random.nextInt(3));
                    update(c, "UPDATE audit_checkpoint SET " + column + " = " + (column.equals("signature")
                            ? "CONCAT('A', SUBSTRING(signature, 2))" : "CONCAT('f', SUBSTRING(" + column + ", 2))")
                            + " WHERE replica_id = ? AND checkpoint_no = ?", "r-tamper", number);
                    VerifyReport report = AuditVerifier.verify(c, keys);
                    c.rollback();
                    // 'A...' or 'f...' may be what was there: only a real change must be detected.
                    if (changedCheckpoint(c, number, column)) {
                        assertThat(report.ok()).as("checkpoint edit of %s in %d (seed %d)", column, number, seed)
                                .isFalse();
                    }
                }
                assertThat(AuditVerifier.verify(c, keys).ok()).as("the chain is intact after the rollbacks").isTrue();
            }
        }
    }

    private boolean changedCheckpoint(Connection c, long number, String column) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + column + " FROM audit_checkpoint"
                + " WHERE replica_id = 'r-tamper' AND checkpoint_no = ?")) {
            ps.setLong(1, number);
            try (var rs = ps.executeQuery()) {
                rs.next();
                String v = rs.getString(1);
                return !v.startsWith(column.equals("signature") ? "A" : "f");
            }
        }
    }

    private void expectDetected(Connection c, TrustedKeys keys, long seq, VerifyReport.Kind kind, String what)
            throws SQLException {
        VerifyReport report = AuditVerifier.verify(c, keys);
        c.rollback();
        assertThat(report.ok()).as("%s is detected (seed %d)", what, seed).isFalse();
        VerifyReport.Problem problem = report.firstProblem();
        assertThat(problem.seq()).as("%s: %s (seed %d)", what, problem.message(), seed).isEqualTo(seq);
        if (kind != null) {
            assertThat(problem.kind()).as("%s: %s (seed %d)", what, problem.message(), seed).isEqualTo(kind);
        }
    }

    /** Changes one character (one byte: the stored text is ASCII) of a non-null column; returns the column. */
    private String changeOneByte(Connection c, AuditEvent row) throws SQLException {
        while (true) {
            String column = COLUMNS.get(random.nextInt(COLUMNS.size()));
            String value = switch (column) {
                case "event_type" -> row.type();
                case "record_id" -> row.recordId();
                case "event_time" -> Long.toString(row.timeMicros());
                case "endpoint_id" -> row.endpointId();
                case "session_id" -> row.sessionId();
                case "username" -> row.username();
                case "decision" -> row.decision();
                case "status" -> row.status() == null ? null : row.status().toString();
                case "payload" -> row.payload();
                case "payload_digest" -> row.payloadDigest();
                case "prev_hash" -> row.prevHash();
                default -> row.hash();
            };
            if (value == null || value.isEmpty()) {
                continue;
            }
            int at = random.nextInt(value.length());
            char old = value.charAt(at);
            if (old > 0x7e) {
                continue;
            }
            boolean numeric = column.equals("event_time") || column.equals("status");
            char replacement;
            do {
                replacement = numeric ? (char) ('0' + random.nextInt(10)) : (char) (0x20 + random.nextInt(0x5f));
            } while (replacement == old || numeric && at == 0 && replacement == '0');
            String changed = value.substring(0, at) + replacement + value.substring(at + 1);
            try (PreparedStatement ps = c.prepareStatement("UPDATE audit_event SET " + column
                    + " = ? WHERE replica_id = ? AND seq = ?")) {
                if (numeric) {
                    ps.setLong(1, Long.parseLong(changed));
                } else {
                    ps.setString(1, changed);
                }
                ps.setString(2, row.replicaId());
                ps.setLong(3, row.seq());
                ps.executeUpdate();
            }
            return column;
        }
    }

    /** Writes {@code source}'s content at {@code seq}. */
    private static void put(Connection c, long seq, AuditEvent source) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE audit_event SET event_type = ?, record_id = ?,"
                + " event_time = ?, endpoint_id = ?, session_id = ?, username = ?, decision = ?, status = ?,"
                + " payload = ?, payload_digest = ?, prev_hash = ?, entry_hash = ? WHERE replica_id = ? AND seq = ?")) {
            ps.setString(1, source.type());
            ps.setString(2, source.recordId());
            ps.setLong(3, source.timeMicros());
            ps.setString(4, source.endpointId());
            ps.setString(5, source.sessionId());
            ps.setString(6, source.username());
            ps.setString(7, source.decision());
            ps.setObject(8, source.status(), java.sql.Types.INTEGER);
            ps.setString(9, source.payload());
            ps.setString(10, source.payloadDigest());
            ps.setString(11, source.prevHash());
            ps.setString(12, source.hash());
            ps.setString(13, source.replicaId());
            ps.setLong(14, seq);
            ps.executeUpdate();
        }
    }

    private static void update(Connection c, String sql, String replica, long key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, replica);
            ps.setLong(2, key);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    private void write(AuditWriter writer, int exchanges) {
        List<java.util.concurrent.CompletableFuture<Void>> done = new ArrayList<>();
        for (int i = 0; i < exchanges; i++) {
            String id = "rec-" + random.nextInt(1_000_000) + "-" + i;
            Instant t = T0.plusMillis(random.nextInt(100_000));
            done.add(writer.append(Events.start(id, random.nextBoolean() ? "chat" : "embed", t)));
            String decision = List.of("allowed", "denied", "failed").get(random.nextInt(3));
            done.add(writer.append(Events.end(id, "chat", t.plusMillis(5), "user" + random.nextInt(5), decision,
                    decision.equals("allowed") ? 200 : 403)));
        }
        done.forEach(f -> await(f));
    }
}
