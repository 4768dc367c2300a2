package io.gatehouse.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.spi.audit.AuditEntry;
import io.gatehouse.spi.audit.AuditLog;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A listener's own refusals: recorded as denied exchanges, a bounded number one by one, the rest summarised. */
class ListenerRefusalsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** An audit log that keeps what it is given; it can be told to refuse (store down, queue full). */
    static final class KeptLog implements AuditLog {
        final List<AuditEntry> entries = new CopyOnWriteArrayList<>();
        volatile boolean refuse;

        @Override
        public CompletionStage<Void> append(AuditEntry entry) {
            if (refuse) {
                return CompletableFuture.failedFuture(new IllegalStateException("queue full"));
            }
            entries.add(entry);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void retain(String endpointId, Duration retention) {
        }

        @Override
        public Health health() {
            return new Health(Health.State.OK, null);
        }

        List<JsonNode> ends() {
            return entries.stream().filter(e -> e.kind() == AuditEntry.Kind.END).map(e -> {
                try {
                    return JSON.readTree(e.payload());
                } catch (Exception x) {
                    throw new AssertionError(x);
                }
            }).toList();
        }
    }

    @Test
    void aRefusalIsRecordedAsADeniedExchangeWithItsRuleAndClientAddressAndNoQuery() throws Exception {
        KeptLog log = new KeptLog();
        ListenerRefusals refusals = new ListenerRefusals("http", 10, log, Clock.systemUTC());
        EmbeddedChannel channel = new EmbeddedChannel();

        refusals.refused(channel, "req-1", 400, "bad-target", "Bad request target",
                "the target '/v1?api_key=s3cret' is refused", "GET", "/v1\\admin");

        assertThat(log.entries).extracting(AuditEntry::kind).containsExactly(AuditEntry.Kind.START, AuditEntry.Kind.END);
        assertThat(log.entries).allSatisfy(e -> {
            assertThat(e.recordId()).isEqualTo("req-1");
            assertThat(e.endpointId()).isEqualTo("listener:http");
            assertThat(e.payload()).doesNotContain("s3cret");
        });
        JsonNode start = JSON.readTree(log.entries.get(0).payload());
        assertThat(start.path("request").path("method").asText()).isEqualTo("GET");
        assertThat(start.path("request").path("path").asText()).isEqualTo("/v1\\admin");
        assertThat(start.path("request").has("clientAddress")).isTrue();
        JsonNode end = log.ends().get(0);
        assertThat(end.path("decision").asText()).isEqualTo("denied");
        assertThat(end.path("status").asInt()).isEqualTo(400);
        assertThat(end.path("rule").path("policy").asText()).isEqualTo("listener");
        assertThat(end.path("rule").path("rule").asText()).isEqualTo("bad-target");
        assertThat(end.path("rule").path("reason").asText()).isEqualTo("the target '/v1?…' is refused");
        assertThat(refusals.recorded()).isEqualTo(1);
    }

    @Test
    void overTheLimitPerSecondRefusalsAreCountedIntoOneSummaryByRule() throws Exception {
        KeptLog log = new KeptLog();
        long[] now = {0};
        ListenerRefusals refusals = new ListenerRefusals("http", 3, log, Clock.systemUTC(), () -> now[0]);
        EmbeddedChannel channel = new EmbeddedChannel();

        for (int i = 0; i < 10; i++) {
            refusals.refused(channel, null, 400, i % 2 == 0 ? "bad-framing" : "bad-target", "Bad", "why", "GET", "/");
        }
        refusals.refused(channel, null, 503, "too-many-connections", "Too many", "full", null, null);
        // (the summary is due at the end of the second, on the channel's loop; the test writes it now)
        refusals.flush();

        assertThat(refusals.recorded()).isEqualTo(3);
        assertThat(refusals.summaries()).isEqualTo(1);
        List<JsonNode> ends = log.ends();
        assertThat(ends).hasSize(4);
        JsonNode summary = ends.get(3);
        assertThat(summary.path("rule").path("rule").asText()).isEqualTo(ListenerRefusals.SUMMARY_RULE);
        assertThat(summary.path("decision").asText()).isEqualTo("denied");
        assertThat(summary.path("refusals").path("notRecordedIndividually").asLong()).isEqualTo(8);
        assertThat(summary.path("refusals").path("byRule").path("bad-framing").asLong()).isEqualTo(3);
        assertThat(summary.path("refusals").path("byRule").path("bad-target").asLong()).isEqualTo(4);
        assertThat(summary.path("refusals").path("byRule").path("too-many-connections").asLong()).isEqualTo(1);

        refusals.flush();
        assertThat(refusals.summaries()).as("nothing more to summarise").isEqualTo(1);

        now[0] += 1_000_000_000L; // the next second records one by one again
        refusals.refused(channel, null, 400, "bad-framing", "Bad", "why", "GET", "/");
        assertThat(refusals.recorded()).isEqualTo(4);
    }

    @Test
    void theSummaryIsWrittenOnTheChannelsLoopAtTheEndOfTheSecond() throws Exception {
        KeptLog log = new KeptLog();
        ListenerRefusals refusals = new ListenerRefusals("http", 0, log, Clock.systemUTC());
        EmbeddedChannel channel = new EmbeddedChannel();

        refusals.refused(channel, null, 0, "idle-timeout", "Idle", "idle", null, null);
        refusals.refused(channel, null, 0, "idle-timeout", "Idle", "idle", null, null);
        assertThat(log.entries).as("zero per second: summaries only").isEmpty();

        long deadline = System.nanoTime() + 5_000_000_000L;
        while (refusals.summaries() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
            channel.runScheduledPendingTasks();
        }
        assertThat(log.ends()).singleElement().satisfies(s ->
                assertThat(s.path("refusals").path("notRecordedIndividually").asLong()).isEqualTo(2));
    }

    @Test
    void aRefusalTheLogCannotTakeIsCountedAndNothingThrows() {
        KeptLog log = new KeptLog();
        log.refuse = true;
        ListenerRefusals refusals = new ListenerRefusals("http", 10, log, Clock.systemUTC());

        refusals.refused(new EmbeddedChannel(), "r", 400, "bad-framing", "Bad", "why", "GET", "/");

        assertThat(refusals.failed()).isEqualTo(2); // its start and its end
    }

    @Test
    void withoutAnAuditLogNothingIsRecorded() {
        ListenerRefusals refusals = new ListenerRefusals("admin", 10, null, Clock.systemUTC());
        refusals.refused(new EmbeddedChannel(), "r", 400, "bad-framing", "Bad", "why", "GET", "/");
        assertThat(refusals.recorded()).isZero();
    }
}
