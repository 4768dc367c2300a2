package io.gatehouse.it.recording;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.cli.GatehouseCommand;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Recording through the whole path (gateway in this JVM, embedded H2 store): what a record holds
 * for answered and streamed exchanges, the admin API and its auditor check, the CLI, and that no
 * credential ever reaches a record. Denials: {@link RecordingDenialsIT}.
 */
class RecordingIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static RecordingStack stack;
    private static String alice;
    private static String ada;

    @BeforeAll
    static void start() throws Exception {
        stack = RecordingStack.prepare(new RecordingStack.Options()
                .recording("{redactJsonFields: [/metadata/secret]}")).startInJvm();
        alice = stack.token("alice", "analysts");
        ada = stack.token("ada", "auditors");
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static HttpResponse<String> chat(String token, String body, String... headers) throws Exception {
        return chat(stack, token, body, headers);
    }

    static HttpResponse<String> chat(RecordingStack stack, String token, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(stack.uri("/v1/chat/completions")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String body(String prompt, boolean stream) {
        return "{\"model\":\"demo-small\",\"stream\":" + stream + ",\"metadata\":{\"secret\":\"do-not-keep\"},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }

    static HttpResponse<String> admin(String path, String token) throws Exception {
        return admin(stack, path, token);
    }

    static HttpResponse<String> admin(RecordingStack stack, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(stack.adminUri(path)).timeout(Duration.ofSeconds(30)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The record of a request, once its end is there (an answered exchange's end is durable already). */
    static JsonNode record(HttpResponse<String> response) throws Exception {
        return record(stack, response, ada);
    }

    static JsonNode record(RecordingStack stack, HttpResponse<String> response, String ada) throws Exception {
        String id = response.headers().firstValue("Gatehouse-Request-Id").orElseThrow();
        long deadline = System.nanoTime() + 10_000_000_000L;
        JsonNode record;
        do {
            HttpResponse<String> shown = admin(stack, "/admin/sessions/" + id, ada);
            assertThat(shown.statusCode()).as(shown.body()).isEqualTo(200);
            record = JSON.readTree(shown.body());
            if (record.has("endTime")) {
                return record;
            }
            Thread.sleep(50); // a denial's end is written after the answer
        } while (System.nanoTime() < deadline);
        return record;
    }

    @Test
    void anAnsweredChatIsRecordedCompleteWithIdentityRequestAndResponse() throws Exception {
        HttpResponse<String> response = chat(alice, body("hello recorder", false));
        assertThat(response.statusCode()).isEqualTo(200);

        JsonNode record = record(response);

        assertThat(record.get("recordId").asText()).isEqualTo(response.headers().firstValue("Gatehouse-Request-Id")
                .orElseThrow());
        assertThat(record.get("decision").asText()).isEqualTo("allowed");
        assertThat(record.get("complete").asBoolean()).isTrue();
        assertThat(record.get("status").asInt()).isEqualTo(200);
        assertThat(record.get("endpoint").asText()).isEqualTo("openai");
        assertThat(record.get("username").asText()).isEqualTo("alice");
        assertThat(record.at("/identity/groups/0").asText()).isEqualTo("analysts");
        assertThat(record.at("/identity/clientId").asText()).isEqualTo("gatehouse-dev");
        assertThat(record.get("sessionId").asText()).isNotBlank();
        assertThat(record.at("/request/clientAddress").asText()).startsWith("127.0.0.1:");
        assertThat(record.at("/request/headers/Authorization/0").asText()).isEqualTo("[redacted]");
        assertThat(record.at("/request/body/text").asText()).contains("\"secret\":\"[redacted]\"")
                .doesNotContain("do-not-keep");
        assertThat(record.at("/operation/kind").asText()).isEqualTo("chat");
        assertThat(record.at("/operation/model").asText()).isEqualTo("demo-small");
        assertThat(record.at("/response/status").asInt()).isEqualTo(200);
        assertThat(record.at("/response/body/text").asText()).contains("You said: hello recorder");
        assertThat(record.get("bytesOut").asLong()).isEqualTo(response.body().getBytes(StandardCharsets.UTF_8).length);
        assertThat(record.get("events")).hasSize(2);
    }

    @Test
    void aStreamedChatIsRecordedChunkByChunkWithTimesAndReplays() throws Exception {
        HttpResponse<String> response = chat(alice, body("one two three four five six", true));
        assertThat(response.statusCode()).isEqualTo(200);
        String id = response.headers().firstValue("Gatehouse-Request-Id").orElseThrow();

        HttpResponse<String> replay = admin("/admin/sessions/" + id + "/replay", ada);

        assertThat(replay.statusCode()).isEqualTo(200);
        JsonNode r = JSON.readTree(replay.body());
        assertThat(r.at("/request/method").asText()).isEqualTo("POST");
        assertThat(r.at("/response/streamed").asBoolean()).isTrue();
        JsonNode chunks = r.at("/response/body/chunks");
        assertThat(chunks.size()).isGreaterThanOrEqualTo(8);
        long previous = -1;
        StringBuilder text = new StringBuilder();
        for (JsonNode chunk : chunks) {
            assertThat(chunk.get("atMs").asLong()).isGreaterThanOrEqualTo(previous);
            previous = chunk.get("atMs").asLong();
            text.append(chunk.get("text").asText());
        }
        assertThat(text.toString()).isEqualTo(response.body());
        assertThat(chunks.get(chunks.size() - 1).get("atMs").asLong())
                .as("the sample model pauses between words").isGreaterThan(chunks.get(0).get("atMs").asLong());

        Cli cli = Cli.run("sessions", "replay", id, "--fast", "--admin", stack.adminUri("").toString(), "--token", ada);
        assertThat(cli.exit).as(cli.err).isZero();
        assertThat(cli.out).contains("> POST /v1/chat/completions", "< 200", "data: [DONE]", "# allowed, complete");
    }

    @Test
    void theAdminApiNeedsAnAuditorAndRecordsTheAuditorsOwnQueries() throws Exception {
        HttpResponse<String> none = admin("/admin/sessions", null);
        HttpResponse<String> analyst = admin("/admin/sessions", alice);
        HttpResponse<String> auditor = admin("/admin/sessions?endpoint=openai&since=1h", ada);

        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(analyst.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(analyst.body()).get("detail").asText())
                .isEqualTo("the admin API is for members of auditors; alice is in analysts");
        assertThat(auditor.statusCode()).isEqualTo(200);
        assertThat(admin("/admin/sessions?decision=maybe", ada).statusCode()).isEqualTo(400);

        Thread.sleep(200); // the ends of the admin calls are written after their answers
        JsonNode refused = JSON.readTree(admin("/admin/sessions?endpoint=admin&user=alice&decision=denied", ada)
                .body());
        assertThat(refused.get("count").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(refused.at("/sessions/0/path").asText()).isEqualTo("/admin/sessions");
        JsonNode queries = JSON.readTree(admin("/admin/sessions?endpoint=admin&user=ada&decision=allowed", ada).body());
        assertThat(queries.get("count").asInt()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void recordsNeverHoldABearerTokenNorTheModelsCredential() throws Exception {
        chat(alice, body("token check", false));
        chat(alice, body("token check " + alice, true));
        HttpResponse<String> export = admin("/admin/audit/export?since=1h", ada);

        assertThat(export.statusCode()).isEqualTo(200);
        assertThat(export.body()).contains("token check").doesNotContain(alice, ada, stack.modelKey);
    }

    @Test
    void theCliListsAndShowsRecordsAndVerifiesTheChainWhileTheGatewayRuns() throws Exception {
        HttpResponse<String> response = chat(alice, body("cli check", false));
        String id = response.headers().firstValue("Gatehouse-Request-Id").orElseThrow();
        String adminUrl = stack.adminUri("").toString();

        Cli list = Cli.run("sessions", "list", "--admin", adminUrl, "--token", ada, "--user", "alice", "--since", "1h");
        Cli show = Cli.run("sessions", "show", id, "--config", stack.config.toString(), "--token", ada);
        Cli refused = Cli.run("sessions", "list", "--admin", adminUrl, "--token", alice);
        Cli verify = Cli.run("audit", "verify", "--config", stack.config.toString(), "--token", ada);

        assertThat(list.exit).as(list.err).isZero();
        assertThat(list.out).startsWith("TIME").contains(id, "alice", "openai", "chat", "demo-small", "allowed");
        assertThat(show.exit).as(show.err).isZero();
        assertThat(JSON.readTree(show.out).get("recordId").asText()).isEqualTo(id);
        assertThat(refused.exit).isEqualTo(2);
        assertThat(refused.err.trim()).isEqualTo("gatehouse: the admin API answered 403: Forbidden: the admin API is"
                + " for members of auditors; alice is in analysts");
        assertThat(verify.exit).as(verify.out + verify.err).isZero();
        assertThat(verify.out).contains("intact", "audit verify: OK");
    }

    @Test
    void readinessAndMetricsReportTheAuditTrail() throws Exception {
        chat(alice, body("metrics", false));
        JsonNode ready = JSON.readTree(admin("/readyz", null).body());
        String metrics = admin("/metrics", null).body();

        assertThat(ready.get("store").asText()).isEqualTo("ok");
        assertThat(metrics).contains("gatehouse_audit_events_committed_total{replica=", "gatehouse_audit_store_up{",
                "gatehouse_audit_batches_total{", "gatehouse_audit_writer_busy_seconds_total{",
                "gatehouse_audit_store_commit_seconds_total{", "gatehouse_audit_journal_sync_seconds_total{");
        assertThat(sample(metrics, "gatehouse_audit_writer_busy_seconds_total")).as("the writer has recorded").isPositive();
    }

    /** The value of the first sample of {@code name} in a Prometheus text page. */
    private static double sample(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst()
                .orElseThrow(() -> new AssertionError(name + " is not on /metrics"));
    }

    /** A CLI command run in this JVM, its output captured. */
    record Cli(int exit, String out, String err) {
        static synchronized Cli run(String... args) throws IOException {
            PrintStream out = System.out;
            PrintStream err = System.err;
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            ByteArrayOutputStream e = new ByteArrayOutputStream();
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            try {
                int exit = GatehouseCommand.commandLine().execute(args);
                System.out.flush();
                return new Cli(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
            } finally {
                System.setOut(out);
                System.setErr(err);
            }
        }
    }
}
