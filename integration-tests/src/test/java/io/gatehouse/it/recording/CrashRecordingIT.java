package io.gatehouse.it.recording;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.store.Store;
import io.gatehouse.store.StoreSettings;
import io.gatehouse.store.audit.AuditVerifier;
import io.gatehouse.store.audit.TrustedKeys;
import io.gatehouse.store.audit.VerifyReport;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Nothing lost through crashes: a load of chat requests (whole and streamed, some unauthenticated)
 * while the gateway, a child JVM, is killed with {@code kill -9} at random points. After the last
 * restart every request the client saw answered completely with a 2xx has a complete record, every
 * other record is closed ({@code incomplete} when its gateway died first), and {@code audit verify}
 * passes. Kill points: {@code -Dgatehouse.crash.points} (default 20).
 */
class CrashRecordingIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CLIENTS = 6;

    /** What a client saw of one request. */
    record Seen(String requestId, int status, boolean complete, boolean streamed) {
    }

    private static final String POSTGRES_ADMIN = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";

    @Test
    void onTheEmbeddedStoreEveryCompleteAnswerHasACompleteRecordAfterKillsAndTheChainVerifies() throws Exception {
        crashTest(Integer.getInteger("gatehouse.crash.points", 20), null);
    }

    @Test
    void onPostgresqlEveryCompleteAnswerHasACompleteRecordAfterKillsAndTheChainVerifies() throws Exception {
        String database = "gatehouse_crash_" + java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = java.sql.DriverManager.getConnection(POSTGRES_ADMIN); java.sql.Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        }
        try {
            crashTest(Integer.getInteger("gatehouse.crash.points.postgres", 8),
                    "jdbc:postgresql://127.0.0.1:5432/" + database + "?user=postgres");
        } finally {
            try (Connection c = java.sql.DriverManager.getConnection(POSTGRES_ADMIN);
                 java.sql.Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            }
        }
    }

    /** @param postgresUrl the store, or null for the embedded H2 store */
    private void crashTest(int points, String postgresUrl) throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
        try (RecordingStack stack = RecordingStack.prepare(new RecordingStack.Options()
                .store(postgresUrl == null ? "store:\n  checkpointEvery: 200\n"
                        : "store:\n  url: " + postgresUrl + "\n  checkpointEvery: 200\n").limitsBody("64KiB"))) {
            String token = stack.token("alice", "analysts");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(2)).build();
            for (int kill = 0; kill < points; kill++) {
                long t0 = System.nanoTime();
                stack.startChild();
                System.out.printf("crash test: gateway %d ready in %d ms%n", kill,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                AtomicBoolean stop = new AtomicBoolean();
                ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
                for (int c = 0; c < CLIENTS; c++) {
                    long clientSeed = random.nextLong();
                    clients.execute(() -> load(stack, http, token, new Random(clientSeed), stop, seen));
                }
                Thread.sleep(200 + random.nextInt(1300));
                stack.killChild();
                stop.set(true);
                clients.shutdown();
                assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            }
            // The last start closes what the last kill left open; a graceful stop seals the chain.
            stack.startChild();
            stack.stopChild();

            List<Seen> complete2xx = seen.stream().filter(s -> s.complete() && s.status() / 100 == 2).toList();
            assertThat(complete2xx).as("complete 2xx answers seen (seed %d)", seed).isNotEmpty();
            try (Store store = Store.open(postgresUrl == null ? StoreSettings.embedded(stack.data)
                    : new StoreSettings(postgresUrl, null, null, 2));
                 Connection c = store.connection()) {
                Map<String, JsonNode> ends = ends(c);
                for (Seen s : complete2xx) {
                    JsonNode end = ends.get(s.requestId());
                    assertThat(end).as("record of %s (seed %d)", s, seed).isNotNull();
                    assertThat(end.path("complete").asBoolean()).as("%s complete", s).isTrue();
                    assertThat(end.path("decision").asText()).as("%s decision", s).isEqualTo("allowed");
                    assertThat(end.path("status").asInt()).isEqualTo(s.status());
                    if (s.streamed()) {
                        // The whole answer, its end included; where chunks split it is the network's choice
                        // (the last one can be the event's closing blank line alone).
                        assertThat(streamedText(end.at("/response/body/chunks"))).as("%s recorded stream", s)
                                .contains("data: [DONE]");
                    }
                }
                long starts = count(c, "SELECT COUNT(*) FROM audit_event WHERE event_type = 'start'");
                long closed = count(c, "SELECT COUNT(DISTINCT record_id) FROM audit_event WHERE event_type = 'end'");
                assertThat(closed).as("every started exchange is closed").isEqualTo(starts);
                long incomplete = count(c, "SELECT COUNT(*) FROM audit_event WHERE event_type = 'end'"
                        + " AND decision = 'incomplete'");
                VerifyReport report = AuditVerifier.verify(c, TrustedKeys.none()
                        .pin(stack.data.resolve("audit/audit-key.pub.pem")).withStoreKeys(c));
                assertThat(report.ok()).as(report.describe()).isTrue();
                System.out.printf("crash test (" + (postgresUrl == null ? "H2" : "PostgreSQL") + "): %d kills, %d requests seen, %d complete 2xx, %d records, %d incomplete"
                        + " (seed %d)%n", points, seen.size(), complete2xx.size(), starts, incomplete, seed);
            }
            Process verify = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "io.gatehouse.cli.GatehouseCommand",
                    "audit", "verify", "--config", stack.config.toString()).redirectErrorStream(true).start();
            String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(verify.waitFor()).as(output).isZero();
            assertThat(output).contains("audit verify: OK");
        }
    }

    /** The recorded chunks put back together (each is text, or base64 where a chunk cut a character). */
    private static String streamedText(JsonNode chunks) {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (JsonNode chunk : chunks) {
            all.writeBytes(chunk.has("base64") ? java.util.Base64.getDecoder().decode(chunk.path("base64").asText())
                    : chunk.path("text").asText().getBytes(StandardCharsets.UTF_8));
        }
        return all.toString(StandardCharsets.UTF_8);
    }

    private static void load(RecordingStack stack, HttpClient http, String token, Random random, AtomicBoolean stop,
                             ConcurrentLinkedQueue<Seen> seen) {
        while (!stop.get()) {
            int kind = random.nextInt(10);
            boolean streamed = kind >= 6 && kind < 9;
            String body = "{\"model\":\"demo-small\",\"stream\":" + streamed + ",\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"crash test " + random.nextInt(1000) + " words to echo back\"}]}";
            HttpRequest.Builder request = HttpRequest.newBuilder(stack.uri("/v1/chat/completions"))
                    .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body));
            if (kind != 9) {
                request.header("Authorization", "Bearer " + token);
            }
            try {
                HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
                String id = response.headers().firstValue("Gatehouse-Request-Id").orElse(null);
                boolean complete;
                try (InputStream in = response.body()) {
                    String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    complete = !streamed || text.contains("data: [DONE]");
                } catch (IOException cut) {
                    complete = false;
                }
                seen.add(new Seen(id, response.statusCode(), complete, streamed));
            } catch (IOException refused) {
                sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static Map<String, JsonNode> ends(Connection c) throws Exception {
        Map<String, JsonNode> ends = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT record_id, payload FROM audit_event WHERE event_type = 'end'");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                ends.put(rs.getString(1), JSON.readTree(rs.getString(2)));
            }
        }
        return ends;
    }

    private static long count(Connection c, String sql) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
