package io.gatehouse.processors.recording;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.spi.Completion;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.ServiceUnavailableException;
import io.gatehouse.spi.audit.AuditEntry;
import io.gatehouse.spi.audit.AuditLog;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.TestExchange;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The recording step over the SPI's AuditLog alone, as a plugin would write to it: a fake log here. */
class RecordingAuditLogTest {

    private static final Operation CHAT = new Operation("openai", OperationKind.CHAT, "demo-small", false, 1,
            OptionalInt.of(64));
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A log that keeps what it is given and answers what the test says. */
    private static final class FakeLog implements AuditLog {
        final List<AuditEntry> entries = new CopyOnWriteArrayList<>();
        final List<String> retained = new CopyOnWriteArrayList<>();
        final List<Object> completeOn = new CopyOnWriteArrayList<>();
        CompletionStage<Void> answer = CompletableFuture.completedFuture(null);

        @Override
        public CompletionStage<Void> append(AuditEntry entry) {
            entries.add(entry);
            completeOn.add("the log's own threads");
            return answer;
        }

        @Override
        public CompletionStage<Void> append(AuditEntry entry, java.util.concurrent.Executor loop) {
            entries.add(entry);
            completeOn.add(loop);
            return answer;
        }

        @Override
        public void retain(String endpointId, Duration retention) {
            retained.add(endpointId + " " + retention.toDays() + "d");
        }

        @Override
        public Health health() {
            return new Health(Health.State.OK, null);
        }
    }

    private final FakeLog log = new FakeLog();

    private ProcessorHarness<RecordingConfig> harness(RecordingConfig config) {
        return ProcessorHarness.builder(new RecordingProcessorFactory(), config).endpointId("chat")
                .services(GatewayServices.of(Map.of(AuditLog.class, log))).build();
    }

    private static TestExchange chat(String id) {
        return TestExchange.post("/v1/chat/completions").endpointId("chat").requestId(id).operation(CHAT)
                .header("Content-Type", "application/json").body("{\"model\":\"demo-small\"}").build();
    }

    @Test
    void anAnsweredExchangeIsOneStartAndOneEndEntryEachOneJsonObject() throws Exception {
        try (var harness = harness(RecordingConfig.defaults())) {
            TestExchange exchange = chat("r-1");

            assertThat(harness.request(exchange)).isEqualTo(Outcome.proceed());
            harness.respond(exchange, 200, new Headers().set("Content-Type", "application/json"),
                    "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));
            harness.responseEnd(exchange);

            assertThat(log.entries).extracting(AuditEntry::kind).containsExactly(AuditEntry.Kind.START,
                    AuditEntry.Kind.END);
            assertThat(log.entries).extracting(AuditEntry::recordId).containsOnly("r-1");
            assertThat(log.entries).extracting(AuditEntry::endpointId).containsOnly("chat");
            JsonNode start = JSON.readTree(log.entries.get(0).payload());
            assertThat(start.path("request").path("method").asText()).isEqualTo("POST");
            assertThat(start.path("operation").path("model").asText()).isEqualTo("demo-small");
            JsonNode end = JSON.readTree(log.entries.get(1).payload());
            assertThat(end.path("decision").asText()).isEqualTo("allowed");
            assertThat(end.path("status").asInt()).isEqualTo(200);
        }
    }

    @Test
    void theStartAndEndAnExchangeWaitsOnAreAcknowledgedOnItsEventLoopWhenItHasOne() throws Exception {
        java.util.concurrent.Executor loop = task -> {
            throw new AssertionError("the fake log never runs a task");
        };
        try (var harness = harness(RecordingConfig.defaults())) {
            TestExchange exchange = TestExchange.post("/v1/chat/completions").endpointId("chat").requestId("r-loop")
                    .operation(CHAT).header("Content-Type", "application/json").body("{\"model\":\"demo-small\"}")
                    .eventLoop(loop).build();
            harness.request(exchange);
            harness.respond(exchange, 200, new Headers().set("Content-Type", "application/json"),
                    "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));
            harness.responseEnd(exchange);

            assertThat(log.entries).extracting(AuditEntry::kind).containsExactly(AuditEntry.Kind.START,
                    AuditEntry.Kind.END);
            assertThat(log.completeOn).containsExactly(loop, loop);
        }
    }

    @Test
    void anExchangeWithoutAnEventLoopIsAcknowledgedOnTheLogsOwnThreads() throws Exception {
        try (var harness = harness(RecordingConfig.defaults())) {
            TestExchange exchange = chat("r-no-loop");
            harness.request(exchange);
            harness.respond(exchange, 200, new Headers().set("Content-Type", "application/json"),
                    "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));
            harness.responseEnd(exchange);

            assertThat(log.completeOn).containsExactly("the log's own threads", "the log's own threads");
        }
    }

    @Test
    void eachPayloadIsWrittenCanonicalSoEqualRecordsHashAlike() throws Exception {
        try (var harness = harness(RecordingConfig.defaults())) {
            harness.request(chat("r-5"));

            String payload = log.entries.get(0).payload();
            assertThat(payload).startsWith("{\"operation\":{\"batch\":1,\"kind\":\"chat\",")
                    .doesNotContain(": ").doesNotContain(", ");
            assertThat(JSON.writeValueAsString(JSON.readTree(payload))).as("no whitespace, nothing lost")
                    .hasSameSizeAs(payload);
        }
    }

    @Test
    void aStartTheLogCannotMakeDurableRefusesTheRequest503() {
        log.answer = CompletableFuture.failedFuture(new ServiceUnavailableException("the audit queue is full"));
        try (var harness = harness(RecordingConfig.defaults())) {
            Outcome outcome = harness.request(chat("r-2"));

            assertThat(outcome).isEqualTo(new Outcome.Deny(503, "Recording unavailable",
                    "the gateway cannot record this exchange, so it was not forwarded; retry later",
                    new DecidingRule("recording", "store-unavailable", "the audit store cannot take records"),
                    Map.of("Retry-After", "2")));
        }
    }

    @Test
    void theRequestGoesOnOnlyOnceTheLogSaysItsStartIsDurable() {
        CompletableFuture<Void> durable = new CompletableFuture<>();
        log.answer = durable;
        try (var harness = harness(RecordingConfig.defaults())) {
            CompletionStage<Outcome> outcome = harness.processor().onRequestAsync(chat("r-3"));

            assertThat(outcome.toCompletableFuture()).isNotDone();
            durable.complete(null);
            assertThat(outcome.toCompletableFuture().join()).isEqualTo(Outcome.proceed());
        }
    }

    @Test
    void aDeniedExchangeIsClosedWithAnEndEntryNamingTheRule() throws Exception {
        try (var harness = harness(RecordingConfig.defaults())) {
            TestExchange exchange = chat("r-4");
            harness.request(exchange);
            Outcome.Deny denial = Outcome.deny(403, "Forbidden by policy", "no", new DecidingRule("p", "r", "why"));

            harness.complete(exchange, new Completion(Completion.Kind.DENIED, 403, denial, null, Duration.ZERO));

            assertThat(log.entries).extracting(AuditEntry::kind).containsExactly(AuditEntry.Kind.START,
                    AuditEntry.Kind.END);
            JsonNode end = JSON.readTree(log.entries.get(1).payload());
            assertThat(end.path("decision").asText()).isEqualTo("denied");
            assertThat(end.path("rule").path("rule").asText()).isEqualTo("r");
        }
    }

    @Test
    void retentionDaysAreAskedOfTheLogOncePerEndpoint() {
        try (var harness = harness(new RecordingConfig(null, null, null, 30, null))) {
            assertThat(log.retained).containsExactly("chat 30d");
        }
    }
}
