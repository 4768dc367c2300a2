package io.gatehouse.bench;

import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Random;

/**
 * What one audit row costs H2, and which part of it the payload and the secondary indexes are: CPU per
 * row of this whole process (H2's background writer included) while rows go in as the audit writer puts
 * them (a batch per transaction, {@code CHECKPOINT SYNC} once a second), into the real schema (Flyway's
 * migrations) of a fresh store per variant: with a 3.5 KB payload or none (as retention leaves a row), with
 * the four secondary indexes or without them. Each variant runs twice; read the second pass (the JIT warm).
 *
 * <pre>{@code java -cp bench/target/benchmarks.jar io.gatehouse.bench.H2RowCost [rows per variant] [batch]}</pre>
 */
public final class H2RowCost {

    private static final String[] SECONDARY_INDEXES = {"ix_audit_event_record", "ix_audit_event_time",
        "ix_audit_event_user", "ix_audit_event_type_time"};

    private H2RowCost() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 120_000;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        String payload = payload();
        for (int pass = 1; pass <= 2; pass++) {
            for (boolean withPayload : new boolean[] {true, false}) {
                for (boolean indexes : new boolean[] {true, false}) {
                    double[] cost = run(rows, batch, withPayload ? payload : null, indexes);
                    System.out.printf("pass %d, payload %-5s, secondary indexes %-5s: %6.1f µs CPU per row, %6.1f µs"
                            + " wall%n", pass, withPayload, indexes, cost[0], cost[1]);
                }
            }
        }
    }

    /** About the size of a full-pipeline record: a JSON object of 3.5 KB of text. */
    private static String payload() {
        StringBuilder sb = new StringBuilder("{\"text\":\"");
        Random random = new Random(1);
        while (sb.length() < 3500) {
            sb.append((char) ('a' + random.nextInt(26))).append(random.nextInt(6) == 0 ? " " : "");
        }
        return sb.append("\"}").toString();
    }

    private static double[] run(int rows, int batch, String payload, boolean indexes) throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        String hash = "0123456789abcdef".repeat(4);
        try (StoreWriteBenchmark.StoreFixture fixture = StoreWriteBenchmark.StoreFixture.open("h2");
             Connection c = fixture.store.connection()) {
            if (!indexes) {
                try (Statement s = c.createStatement()) {
                    for (String index : SECONDARY_INDEXES) {
                        s.execute("DROP INDEX " + index);
                    }
                }
            }
            c.setAutoCommit(false);
            long cpu0 = 0;
            long wall0 = 0;
            long lastSync = System.nanoTime();
            int measuredFrom = rows / 4; // the first quarter fills the store's first pages and warms the JIT
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit_event (replica_id, seq, event_type,"
                    + " record_id, event_time, endpoint_id, session_id, username, decision, status, payload,"
                    + " payload_digest, prev_hash, entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
                 Statement sync = c.createStatement()) {
                long seq = 0;
                for (int i = 0; i < rows; i += batch) {
                    if (i >= measuredFrom && cpu0 == 0) {
                        cpu0 = os.getProcessCpuTime();
                        wall0 = System.nanoTime();
                    }
                    for (int j = 0; j < batch; j++) {
                        seq++;
                        ps.setString(1, "bench");
                        ps.setLong(2, seq);
                        ps.setString(3, seq % 2 == 0 ? "end" : "start");
                        ps.setString(4, String.format("0193%012x-7000-8000-%012x", seq / 2, seq / 2));
                        ps.setLong(5, 1_765_000_000_000_000L + seq * 500);
                        ps.setString(6, "full");
                        ps.setString(7, "sid-" + seq % 50);
                        ps.setString(8, "user" + seq % 20);
                        ps.setString(9, "allowed");
                        ps.setInt(10, 200);
                        ps.setString(11, payload);
                        ps.setString(12, hash);
                        ps.setString(13, hash);
                        ps.setString(14, hash);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                    c.commit();
                    if (System.nanoTime() - lastSync > 1_000_000_000L) {
                        sync.execute("CHECKPOINT SYNC"); // as the writer's syncer does about once a second
                        lastSync = System.nanoTime();
                    }
                }
            }
            double measured = rows - measuredFrom;
            return new double[] {(os.getProcessCpuTime() - cpu0) / 1000.0 / measured,
                (System.nanoTime() - wall0) / 1000.0 / measured};
        }
    }
}
