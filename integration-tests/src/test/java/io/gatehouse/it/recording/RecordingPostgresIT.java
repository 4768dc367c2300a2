package io.gatehouse.it.recording;

import static io.gatehouse.it.recording.RecordingIT.admin;
import static io.gatehouse.it.recording.RecordingIT.chat;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.store.audit.AuditVerifier;
import io.gatehouse.store.audit.TrustedKeys;
import io.gatehouse.store.audit.VerifyReport;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway on PostgreSQL (a fresh database per test, dropped after), and what happens to
 * exchanges when the store fails: {@code fail-closed} answers 503 and forwards nothing,
 * {@code spool} keeps answering and drains the spool in order once the store is back. The store is
 * made to fail by renaming its table from another connection, then healed by renaming it back.
 */
class RecordingPostgresIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";

    private String database;
    private String url;

    @BeforeEach
    void createDatabase() throws Exception {
        database = "gatehouse_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        url = "jdbc:postgresql://127.0.0.1:5432/" + database + "?user=postgres";
        try (Connection c = DriverManager.getConnection(ADMIN_URL); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        }
    }

    @AfterEach
    void dropDatabase() throws Exception {
        try (Connection c = DriverManager.getConnection(ADMIN_URL); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    private void sql(String statement) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    private static JsonNode ready(RecordingStack stack) throws Exception {
        return JSON.readTree(admin(stack, "/readyz", null).body());
    }

    private static JsonNode awaitReady(RecordingStack stack, String storeStartsWith) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        JsonNode ready;
        do {
            ready = ready(stack);
            if (ready.path("store").asText().startsWith(storeStartsWith)) {
                return ready;
            }
            Thread.sleep(250); // readiness is cached for 2 s
        } while (System.nanoTime() < deadline);
        return ready;
    }

    @Test
    void failClosedAnswers503AndForwardsNothingWhileTheStoreFailsThenRecovers() throws Exception {
        try (RecordingStack stack = RecordingStack.prepare(new RecordingStack.Options()
                .store("store:\n  url: " + url + "\n  onStoreFailure: fail-closed\n")).startInJvm()) {
            String alice = stack.token("alice", "analysts");
            assertThat(chat(stack, alice, RecordingIT.body("before", false)).statusCode()).isEqualTo(200);

            sql("ALTER TABLE audit_event RENAME TO audit_event_away");
            HttpResponse<String> refused = chat(stack, alice, RecordingIT.body("during", false));

            assertThat(refused.statusCode()).isEqualTo(503);
            JsonNode problem = JSON.readTree(refused.body());
            assertThat(problem.get("title").asText()).isEqualTo("Recording unavailable");
            assertThat(problem.get("detail").asText())
                    .isEqualTo("the gateway cannot record this exchange, so it was not forwarded; retry later");
            assertThat(problem.get("rule").asText()).isEqualTo("store-unavailable");
            JsonNode notReady = awaitReady(stack, "failed: ");
            assertThat(notReady.get("store").asText()).startsWith("failed: the store cannot take records (");
            assertThat(notReady.get("status").asText()).isEqualTo("NOT_READY");
            assertThat(admin(stack, "/readyz", null).statusCode()).isEqualTo(503);

            sql("ALTER TABLE audit_event_away RENAME TO audit_event");
            int status = 0;
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (status != 200 && System.nanoTime() < deadline) {
                status = chat(stack, alice, RecordingIT.body("after", false)).statusCode();
                Thread.sleep(100);
            }
            assertThat(status).isEqualTo(200);
            assertThat(awaitReady(stack, "ok").get("status").asText()).isEqualTo("READY");
            assertThat(recordIds("start")).doesNotContain(refused.headers().firstValue("Gatehouse-Request-Id")
                    .orElseThrow());
            stack.stopInJvm();
            assertVerifies(stack);
        }
    }

    @Test
    void spoolKeepsAnsweringWhileTheStoreFailsAndDrainsEveryRecordInOrderWhenItIsBack() throws Exception {
        try (RecordingStack stack = RecordingStack.prepare(new RecordingStack.Options()
                .store("store:\n  url: " + url + "\n  onStoreFailure: spool\n")).startInJvm()) {
            String alice = stack.token("alice", "analysts");
            assertThat(chat(stack, alice, RecordingIT.body("before", false)).statusCode()).isEqualTo(200);

            sql("ALTER TABLE audit_event RENAME TO audit_event_away");
            List<String> during = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> r = chat(stack, alice, RecordingIT.body("during " + i, i % 2 == 0));
                assertThat(r.statusCode()).isEqualTo(200);
                during.add(r.headers().firstValue("Gatehouse-Request-Id").orElseThrow());
            }
            JsonNode spooling = awaitReady(stack, "spooling: ");
            assertThat(spooling.get("store").asText()).startsWith("spooling: the store failed (");
            assertThat(spooling.get("status").asText()).isEqualTo("READY");

            sql("ALTER TABLE audit_event_away RENAME TO audit_event");
            assertThat(awaitReady(stack, "ok").path("store").asText()).isEqualTo("ok");
            stack.stopInJvm();

            assertThat(recordIds("start")).containsAll(during);
            assertThat(recordIds("end")).containsAll(during);
            assertThat(stack.data.resolve("spool")).isEmptyDirectory();
            assertVerifies(stack);
        }
    }

    private List<String> recordIds(String type) throws Exception {
        List<String> ids = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url); PreparedStatement ps = c.prepareStatement(
                "SELECT record_id FROM audit_event WHERE event_type = ? ORDER BY seq")) {
            ps.setString(1, type);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
        }
        return ids;
    }

    private void assertVerifies(RecordingStack stack) throws Exception {
        try (Connection c = DriverManager.getConnection(url)) {
            VerifyReport report = AuditVerifier.verify(c, TrustedKeys.none()
                    .pin(stack.data.resolve("audit/audit-key.pub.pem")).withStoreKeys(c));
            assertThat(report.ok()).as(report.describe()).isTrue();
            assertThat(report.chains().get(0).unsealed()).as("a stopped gateway seals its chain").isZero();
        }
    }
}
