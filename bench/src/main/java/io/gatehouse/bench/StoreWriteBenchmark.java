package io.gatehouse.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.store.Store;
import io.gatehouse.store.StoreSettings;
import io.gatehouse.store.audit.AuditSettings;
import io.gatehouse.store.audit.AuditWriter;
import io.gatehouse.store.audit.CanonicalJson;
import io.gatehouse.store.audit.EventDraft;
import io.gatehouse.store.audit.EventType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Durable audit records per second: each operation appends one start record (the recording
 * step's shape, about 1 KB of canonical JSON) and waits until it is durable — committed and forced
 * to disk (H2: {@code CHECKPOINT SYNC}; PostgreSQL: its WAL flush). {@link #durableRecords32Callers}
 * is the gateway under load: 32 callers share transactions (group commit); {@link #durableRecordsOneCaller}
 * pays one flush per record. PostgreSQL: a fresh database on 127.0.0.1:5432 (user postgres), dropped
 * after; override with {@code -Dgatehouse.bench.postgres=jdbc:postgresql://...}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class StoreWriteBenchmark {

    @Param({"h2", "postgresql"})
    public String store;

    private StoreFixture fixture;
    private AuditWriter writer;

    @Setup
    public void setUp() throws Exception {
        fixture = StoreFixture.open(store);
        writer = AuditWriter.start(fixture.store, AuditSettings.defaults("bench", fixture.data), Clock.systemUTC());
    }

    @TearDown
    public void tearDown() throws Exception {
        writer.close();
        fixture.close();
    }

    static EventDraft startRecord() {
        ObjectNode p = CanonicalJson.object();
        ObjectNode request = p.putObject("request");
        request.put("method", "POST").put("path", "/v1/chat/completions").put("query", "")
                .put("clientAddress", "127.0.0.1:51234");
        ObjectNode headers = request.putObject("headers");
        headers.putArray("Authorization").add("[redacted]");
        headers.putArray("Content-Type").add("application/json");
        headers.putArray("User-Agent").add("OpenAI/Python 1.54.0");
        request.putObject("body").put("size", 640).put("truncated", false).put("text",
                "{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "word ".repeat(110)
                        + "\"}]}");
        p.putObject("operation").put("protocol", "openai").put("kind", "chat").put("model", "demo-small")
                .put("stream", false).put("batch", 1).putNull("maxTokens");
        return EventDraft.of(EventType.START, UUID.randomUUID().toString(), Instant.now(), "openai", p);
    }

    @Benchmark
    @Threads(32)
    public void durableRecords32Callers() {
        writer.append(startRecord()).join();
    }

    @Benchmark
    @Threads(1)
    public void durableRecordsOneCaller() {
        writer.append(startRecord()).join();
    }

    /** A store for a benchmark: an H2 file in a temp folder, or a fresh PostgreSQL database. */
    static final class StoreFixture implements AutoCloseable {
        static final String DEFAULT_POSTGRES = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";

        final Path data;
        final Store store;
        private final String database;

        private StoreFixture(Path data, Store store, String database) {
            this.data = data;
            this.store = store;
            this.database = database;
        }

        static StoreFixture open(String kind) throws IOException, SQLException {
            Path data = Files.createTempDirectory("gatehouse-bench-store-");
            if (kind.equals("h2")) {
                return new StoreFixture(data, Store.open(StoreSettings.embedded(data)), null);
            }
            String database = "gatehouse_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            try (Connection c = DriverManager.getConnection(adminUrl()); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + database);
            }
            String admin = adminUrl();
            int q = admin.indexOf('?');
            String base = q < 0 ? admin : admin.substring(0, q);
            String url = base.substring(0, base.lastIndexOf('/') + 1) + database + (q < 0 ? "" : admin.substring(q));
            return new StoreFixture(data, Store.open(new StoreSettings(url, null, null, 4)), database);
        }

        private static String adminUrl() {
            return System.getProperty("gatehouse.bench.postgres", DEFAULT_POSTGRES);
        }

        @Override
        public void close() throws Exception {
            store.close();
            if (database != null) {
                try (Connection c = DriverManager.getConnection(adminUrl()); Statement s = c.createStatement()) {
                    s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
                }
            }
            try (Stream<Path> files = Files.walk(data)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
