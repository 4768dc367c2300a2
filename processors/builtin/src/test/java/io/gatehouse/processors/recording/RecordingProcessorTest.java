package io.gatehouse.processors.recording;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.Completion;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import io.gatehouse.spi.Outcome;
import io.gatehouse.store.StoreException;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.StreamResult;
import io.gatehouse.testkit.TestExchange;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordingProcessorTest {

    private static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW9mLWFsaWNl";
    private static final Identity ALICE = new Identity("sub-alice", "alice", "https://idp.example/realms/ml", "cli",
            Set.of("analysts", "auditors"), Set.of("user"), "1", List.of("pwd"), Instant.parse("2026-01-01T00:00:00Z"),
            null, Instant.parse("2026-01-01T01:00:00Z"), "sid-123", Map.of("sub", "sub-alice"));
    private static final Operation CHAT = new Operation("openai", OperationKind.CHAT, "demo-small", false, 1,
            OptionalInt.of(64));

    @TempDir
    Path temp;

    private AuditFixture audit;

    @BeforeEach
    void open() throws Exception {
        audit = new AuditFixture(temp);
    }

    @AfterEach
    void close() {
        audit.close();
    }

    private ProcessorHarness<RecordingConfig> harness(RecordingConfig config) {
        return ProcessorHarness.builder(new RecordingProcessorFactory(), config).endpointId("chat")
                .services(audit.services()).build();
    }

    private static TestExchange.Builder chat(String id) {
        return TestExchange.post("/v1/chat/completions?access_token=" + TOKEN).endpointId("chat").requestId(id)
                .operation(CHAT).header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .clientAddress("10.0.0.7", 51000);
    }

    @Test
    void theStartIsDurableWhenTheRequestGoesOnAndHoldsTheRequestWithoutCredentials() throws Exception {
        try (var harness = harness(new RecordingConfig(null, List.of("X-Internal"), List.of("/api_key"), null, null))) {
            TestExchange exchange = chat("r-start").header("Cookie", "session=cookie-secret-value")
                    .header("X-Api-Key", "key-1234567890").header("X-Internal", "internal-secret")
                    .header("X-Trace", "t-1")
                    .body("{\"model\":\"demo-small\",\"api_key\":\"sk-client-key\",\"note\":\"" + TOKEN + "\"}").build();

            Outcome outcome = harness.request(exchange);

            assertThat(outcome).isSameAs(Outcome.proceed());
            List<AuditFixture.Row> rows = audit.rows("r-start");
            assertThat(rows).extracting(AuditFixture.Row::type).containsExactly("start");
            JsonNode request = rows.get(0).payload().get("request");
            assertThat(request.get("method").asText()).isEqualTo("POST");
            assertThat(request.get("path").asText()).isEqualTo("/v1/chat/completions");
            assertThat(request.get("query").asText()).isEqualTo("access_token=[redacted]");
            assertThat(request.get("clientAddress").asText()).isEqualTo("10.0.0.7:51000");
            assertThat(request.at("/headers/Authorization/0").asText()).isEqualTo("[redacted]");
            assertThat(request.at("/headers/Cookie/0").asText()).isEqualTo("[redacted]");
            assertThat(request.at("/headers/X-Api-Key/0").asText()).isEqualTo("[redacted]");
            assertThat(request.at("/headers/X-Internal/0").asText()).isEqualTo("[redacted]");
            assertThat(request.at("/headers/X-Trace/0").asText()).isEqualTo("t-1");
            assertThat(request.at("/body/text").asText())
                    .isEqualTo("{\"model\":\"demo-small\",\"api_key\":\"[redacted]\",\"note\":\"[redacted]\"}");
            assertThat(request.at("/body/redactions").asInt()).isEqualTo(1);
            assertThat(rows.get(0).payload().at("/operation/kind").asText()).isEqualTo("chat");
            assertThat(rows.get(0).payload().at("/operation/maxTokens").asInt()).isEqualTo(64);
            assertThat(audit.everything()).doesNotContain(TOKEN, "cookie-secret-value", "key-1234567890",
                    "internal-secret", "sk-client-key");
        }
    }

    @Test
    void anAnsweredExchangeIsClosedInOnResponseEndWithIdentityResponseAndSizes() throws Exception {
        try (var harness = harness(new RecordingConfig(null, null, List.of("/choices/*/message/content"), null, null))) {
            TestExchange exchange = chat("r-answer").identity(ALICE).body("{\"model\":\"demo-small\"}").build();
            harness.request(exchange);
            Headers headers = new Headers().add("Content-Type", "application/json").add("Set-Cookie", "a=secret-cookie");
            byte[] body = "{\"choices\":[{\"message\":{\"content\":\"private answer\"}}]}".getBytes(StandardCharsets.UTF_8);

            harness.respond(exchange, 200, headers, body);
            harness.responseEnd(exchange);

            List<AuditFixture.Row> rows = audit.rows("r-answer");
            assertThat(rows).extracting(AuditFixture.Row::type).containsExactly("start", "end");
            AuditFixture.Row end = rows.get(1);
            assertThat(end.username()).isEqualTo("alice");
            assertThat(end.decision()).isEqualTo("allowed");
            assertThat(end.status()).isEqualTo(200);
            JsonNode p = end.payload();
            assertThat(p.get("outcome").asText()).isEqualTo("answered");
            assertThat(p.get("complete").asBoolean()).isTrue();
            assertThat(p.get("sessionId").asText()).isEqualTo("sid-123");
            assertThat(p.at("/identity/subject").asText()).isEqualTo("sub-alice");
            assertThat(p.at("/identity/issuer").asText()).isEqualTo("https://idp.example/realms/ml");
            assertThat(p.at("/identity/clientId").asText()).isEqualTo("cli");
            assertThat(p.at("/identity/groups").toString()).isEqualTo("[\"analysts\",\"auditors\"]");
            assertThat(p.get("approvalId").isNull()).isTrue();
            assertThat(p.get("masking").isNull()).isTrue();
            assertThat(p.get("bytesIn").asLong()).isEqualTo(22);
            assertThat(p.get("bytesOut").asLong()).isEqualTo(body.length);
            assertThat(p.at("/response/headers/Set-Cookie/0").asText()).isEqualTo("[redacted]");
            assertThat(p.at("/response/body/text").asText())
                    .isEqualTo("{\"choices\":[{\"message\":{\"content\":\"[redacted]\"}}]}");

            harness.complete(exchange, new Completion(Completion.Kind.ANSWERED, 200, null, null, Duration.ofMillis(5)));
            assertThat(audit.rows("r-answer")).as("an answered exchange has one end").hasSize(2);
        }
    }

    @Test
    void aStreamedAnswerKeepsEachChunkUpToTheSizeLimitAndNotesTheRest() throws Exception {
        try (var harness = harness(new RecordingConfig(ByteSize.ofBytes(40), null, List.of("/choices/0/delta/content"),
                null, null))) {
            TestExchange exchange = chat("r-stream").identity(ALICE).build();
            harness.request(exchange);
            List<byte[]> chunks = List.of(
                    "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n".getBytes(StandardCharsets.UTF_8),
                    "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));

            StreamResult result = harness.respondStream(exchange, 200,
                    new Headers().add("Content-Type", "text/event-stream"), chunks);
            harness.responseEnd(exchange);

            assertThat(result.error()).isEmpty();
            JsonNode body = audit.rows("r-stream").get(1).payload().at("/response/body");
            assertThat(body.get("size").asLong()).isEqualTo(chunks.get(0).length + chunks.get(1).length);
            assertThat(body.get("truncated").asBoolean()).isTrue();
            assertThat(body.get("chunkCount").asLong()).isEqualTo(2);
            assertThat(body.get("redactions").asInt()).isEqualTo(1);
            assertThat(body.get("chunks")).hasSize(1);
            assertThat(body.at("/chunks/0/atMs").asLong()).isZero();
            // redacted first, then cut: the hidden value never shows, even in part
            assertThat(body.at("/chunks/0/text").asText())
                    .isEqualTo("data: {\"choices\":[{\"delta\":{\"content\":\"[redacted]\"}}]}\n\n".substring(0, 40));
            assertThat(audit.rows("r-stream").get(1).payload().at("/response/streamed").asBoolean()).isTrue();
        }
    }

    @Test
    void aRequestBodyOverTheLimitIsCutAndItsSizeNoted() throws Exception {
        try (var harness = harness(new RecordingConfig(ByteSize.ofBytes(10), null, null, null, null))) {
            TestExchange exchange = chat("r-big").body("0123456789abcdefghij").build();
            harness.request(exchange);

            JsonNode body = audit.rows("r-big").get(0).payload().at("/request/body");
            assertThat(body.get("size").asInt()).isEqualTo(20);
            assertThat(body.get("truncated").asBoolean()).isTrue();
            assertThat(body.get("text").asText()).isEqualTo("0123456789");
        }
    }

    @Test
    void aBinaryBodyIsKeptAsBase64() throws Exception {
        try (var harness = harness(RecordingConfig.defaults())) {
            TestExchange exchange = chat("r-bin").body(new byte[] {(byte) 0xff, 0x00, (byte) 0xfe}).build();
            harness.request(exchange);

            JsonNode body = audit.rows("r-bin").get(0).payload().at("/request/body");
            assertThat(body.get("base64").asText()).isEqualTo("/wD+");
            assertThat(body.has("text")).isFalse();
        }
    }

    @Test
    void aDenialByALaterStepIsRecordedWithItsRule() throws Exception {
        try (var harness = harness(RecordingConfig.defaults())) {
            TestExchange exchange = chat("r-denied").identity(ALICE).build();
            harness.request(exchange);
            Outcome.Deny deny = Outcome.deny(403, "Forbidden", "group analysts may not use model big",
                    new DecidingRule("policy", "analysts-small-only", "model big not allowed"));

            harness.complete(exchange, new Completion(Completion.Kind.DENIED, 403, deny, null, Duration.ofMillis(3)));

            AuditFixture.Row end = audit.rows("r-denied").get(1);
            assertThat(end.decision()).isEqualTo("denied");
            assertThat(end.status()).isEqualTo(403);
            assertThat(end.payload().get("rule").toString()).isEqualTo(
                    "{\"policy\":\"policy\",\"reason\":\"model big not allowed\",\"rule\":\"analysts-small-only\"}");
            assertThat(end.payload().at("/denial/title").asText()).isEqualTo("Forbidden");
            assertThat(end.payload().at("/denial/detail").asText()).isEqualTo("group analysts may not use model big");
            assertThat(end.payload().get("durationMs").asLong()).isEqualTo(3);
            assertThat(end.payload().has("response")).isFalse();
        }
    }

    @Test
    void aHeldExchangeIsRecordedWithItsApprovalId() throws Exception {
        try (var harness = harness(RecordingConfig.defaults())) {
            TestExchange exchange = chat("r-held").identity(ALICE).build();
            harness.request(exchange);
            exchange.attributes().put(RecordingProcessor.APPROVAL_ID, "appr-42");

            harness.complete(exchange, new Completion(Completion.Kind.RESPONDED, 202, null, null, Duration.ZERO));

            AuditFixture.Row end = audit.rows("r-held").get(1);
            assertThat(end.decision()).isEqualTo("held");
            assertThat(end.payload().get("approvalId").asText()).isEqualTo("appr-42");
        }
    }

    @Test
    void aClientThatLeavesAfterTheEndWasRecordedAddsAnAmendment() throws Exception {
        try (var harness = harness(RecordingConfig.defaults())) {
            TestExchange exchange = chat("r-gone").build();
            harness.request(exchange);
            harness.respondStream(exchange, 200, new Headers(), List.of("a".getBytes(StandardCharsets.UTF_8)));
            harness.responseEnd(exchange);

            harness.complete(exchange, new Completion(Completion.Kind.CLIENT_GONE, 200, null,
                    "the client closed the connection during the stream", Duration.ofMillis(9)));

            List<AuditFixture.Row> rows = audit.rows("r-gone");
            assertThat(rows).extracting(AuditFixture.Row::type).containsExactly("start", "end", "amend");
            assertThat(rows.get(2).payload().get("outcome").asText()).isEqualTo("client-gone");
            assertThat(rows.get(2).payload().get("error").asText())
                    .isEqualTo("the client closed the connection during the stream");
        }
    }

    @Test
    void whenTheStoreCannotTakeTheStartTheRequestIsRefused503AndNothingElseIsRecorded() throws Exception {
        try (var harness = harness(RecordingConfig.defaults())) {
            audit.execute("ALTER TABLE audit_event RENAME TO audit_event_away");
            TestExchange exchange = chat("r-down").build();

            Outcome outcome = harness.request(exchange);

            assertThat(outcome).isEqualTo(new Outcome.Deny(503, "Recording unavailable",
                    "the gateway cannot record this exchange, so it was not forwarded; retry later",
                    new DecidingRule("recording", "store-unavailable", "the audit store cannot take records"),
                    Map.of("Retry-After", "2")));
            harness.complete(exchange, new Completion(Completion.Kind.DENIED, 503, (Outcome.Deny) outcome, null,
                    Duration.ZERO));
            audit.execute("ALTER TABLE audit_event_away RENAME TO audit_event");
            assertThat(audit.rows("r-down")).isEmpty();
        }
    }

    @Test
    void whenTheStoreCannotTakeTheEndTheAnswerIsWithheld() throws Exception {
        try (var harness = harness(RecordingConfig.defaults())) {
            TestExchange exchange = chat("r-end-down").build();
            harness.request(exchange);
            harness.respond(exchange, 200, new Headers(), "{}".getBytes(StandardCharsets.UTF_8));
            audit.execute("ALTER TABLE audit_event RENAME TO audit_event_away");

            assertThatThrownBy(() -> harness.responseEnd(exchange)).isInstanceOf(StoreException.class)
                    .hasMessageStartingWith("the store cannot take records (");
            audit.execute("ALTER TABLE audit_event_away RENAME TO audit_event");
        }
    }

    @Test
    void aCallerWithoutASessionIdGetsOneSessionPerIssuerSubjectClientAndDay() {
        Identity service = new Identity("svc", "svc", "https://idp", "ci", Set.of(), Set.of(), null, List.of(), null,
                null, Instant.parse("2026-01-02T00:00:00Z"), null, Map.of());
        String morning = RecordingProcessor.sessionId(service, Instant.parse("2026-01-01T08:00:00Z"));
        String evening = RecordingProcessor.sessionId(service, Instant.parse("2026-01-01T20:00:00Z"));
        String nextDay = RecordingProcessor.sessionId(service, Instant.parse("2026-01-02T08:00:00Z"));

        assertThat(morning).startsWith("derived-").hasSize(24).isEqualTo(evening).isNotEqualTo(nextDay);
        assertThat(RecordingProcessor.sessionId(ALICE, Instant.now())).isEqualTo("sid-123");
    }

    @Test
    void theStepNeedsTheGatewaysAuditLog() {
        assertThatThrownBy(() -> ProcessorHarness.of(new RecordingProcessorFactory(), RecordingConfig.defaults()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("step 'recording' needs a AuditLog, which this gateway does not provide");
    }

    @Test
    void configValuesAreCheckedAndNamed() {
        assertThatThrownBy(() -> new RecordingConfig(null, null, List.of("api_key"), null, null))
                .isInstanceOf(ConfigException.class).hasFieldOrPropertyWithValue("field", "redactJsonFields")
                .hasMessage("'api_key' is not a JSON Pointer (expected e.g. /api_key or /messages/*/content)");
        assertThatThrownBy(() -> new RecordingConfig(null, List.of("Bad Header"), null, null, null))
                .isInstanceOf(ConfigException.class).hasMessage("'Bad Header' is not a header name");
        assertThatThrownBy(() -> new RecordingConfig(null, null, null, 0, null))
                .isInstanceOf(ConfigException.class).hasMessage("must be between 1 and 36500, got 0");
        assertThatThrownBy(() -> new RecordingConfig(ByteSize.parse("17MiB"), null, null, null, null))
                .isInstanceOf(ConfigException.class).hasMessage("must be at most 16MiB, got 17825792 bytes");
        assertThat(RecordingConfig.defaults().maxBodyBytes().bytes()).isEqualTo(65536);
    }
}
