package io.gatehouse.store.audit;

import static io.gatehouse.store.audit.Events.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.store.Dialect;
import io.gatehouse.store.TestStores;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Keyset pages of exchanges (what the console's sessions page walks) and the console's traffic stats. */
class AuditPagesAndStatsTest {

    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path temp;

    /** 25 exchanges; every third pair shares its start time, so the cursor must break ties. */
    private AuditQuery fill(TestStores stores) throws Exception {
        try (AuditWriter writer = AuditWriter.start(stores.store(), AuditSettings.defaults("r-p", temp.resolve("d")),
                Clock.systemUTC())) {
            for (int i = 0; i < 25; i++) {
                Instant t = T0.plusSeconds(i - i % 3);
                String user = i % 2 == 0 ? "alice" : "bob";
                await(writer.append(Events.start("x" + i, "chat", t)));
                await(writer.append(end("x" + i, t.plusMillis(5), user, i % 5 == 0 ? "denied" : "allowed",
                        i % 5 == 0 ? 403 : 200, i % 2 == 0 ? "analysts" : "ml-engineers", 10 + i)));
            }
        }
        return new AuditQuery(stores.store());
    }

    private static EventDraft end(String id, Instant t, String user, String decision, int status, String group,
                                  long durationMs) {
        ObjectNode p = CanonicalJson.object();
        p.put("outcome", decision.equals("allowed") ? "answered" : decision).put("decision", decision)
                .put("status", status).put("username", user).put("complete", true).put("durationMs", durationMs);
        p.putObject("identity").put("username", user).putArray("groups").add(group);
        if (decision.equals("denied")) {
            p.putObject("rule").put("policy", "analysts").put("rule", "embed-small").put("reason", "batch 16 > 8");
        } else {
            p.putObject("masking").put("email", 2);
        }
        return EventDraft.of(EventType.END, id, t, "chat", p);
    }

    private static List<String> ids(AuditQuery.Page page) {
        return StreamSupport.stream(page.rows().spliterator(), false).map(r -> r.get("recordId").asText()).toList();
    }

    private static AuditQuery.Search search(String group, String model, Integer status, String before, int limit) {
        return new AuditQuery.Search(null, group, null, model, null, status, null, null, null, before, limit);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void pagesFollowOneAnotherByCursorWithoutGapOrRepeatAcrossEqualStartTimes(Dialect dialect) throws Exception {
        try (TestStores stores = TestStores.create(dialect, temp)) {
            AuditQuery query = fill(stores);
            List<String> walked = new ArrayList<>();
            List<Integer> sizes = new ArrayList<>();
            String cursor = null;
            do {
                AuditQuery.Page page = query.page(search(null, null, null, cursor, 10));
                walked.addAll(ids(page));
                sizes.add(page.rows().size());
                cursor = page.next();
            } while (cursor != null);

            assertThat(sizes).containsExactly(10, 10, 5);
            assertThat(walked).doesNotHaveDuplicates().hasSize(25);
            assertThat(walked).isEqualTo(ids(query.page(search(null, null, null, null, 25))));
            assertThat(walked.subList(0, 4)).containsExactly("x24", "x23", "x22", "x21");
        }
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void pagesFilterByGroupModelAndStatus(Dialect dialect) throws Exception {
        try (TestStores stores = TestStores.create(dialect, temp)) {
            AuditQuery query = fill(stores);

            AuditQuery.Page engineers = query.page(search("ml-engineers", null, null, null, 100));
            AuditQuery.Page denied = query.page(search(null, null, 403, null, 100));
            AuditQuery.Page otherModel = query.page(search(null, "demo-large", null, null, 100));

            assertThat(engineers.rows()).hasSize(12).allSatisfy(r -> assertThat(r.get("username").asText())
                    .isEqualTo("bob"));
            assertThat(engineers.scanned()).isEqualTo(25);
            assertThat(ids(denied)).containsExactly("x20", "x15", "x10", "x5", "x0");
            assertThat(otherModel.rows()).isEmpty();
            assertThat(otherModel.next()).isNull();
        }
    }

    @org.junit.jupiter.api.Test
    void aCursorThisApiDidNotGiveIsRefusedNamingWhatItExpects() {
        assertThatThrownBy(() -> search(null, null, null, "1' OR '1'='1", 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("before '1' OR '1'='1' is not a cursor this API gave (next of the page before)");
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void statsCountDecisionsPerMinuteLatencyPercentilesDenialsByRuleMaskedValuesAndTopCallers(Dialect dialect)
            throws Exception {
        try (TestStores stores = TestStores.create(dialect, temp)) {
            fill(stores);
            JsonNode stats = new AuditStats(stores.store()).window(Duration.ofHours(1), T0.plusSeconds(60));

            assertThat(stats.get("records").asInt()).isEqualTo(25);
            assertThat(stats.get("truncated").asBoolean()).isFalse();
            assertThat(stats.get("buckets")).hasSize(60);
            JsonNode last = stats.get("buckets").get(59);
            assertThat(last.get("count").asInt()).isEqualTo(25);
            assertThat(last.get("byDecision").get("allowed").asInt()).isEqualTo(20);
            assertThat(last.get("byDecision").get("denied").asInt()).isEqualTo(5);
            assertThat(last.get("p50").asLong()).isEqualTo(22);
            assertThat(last.get("p99").asLong()).isEqualTo(34);
            assertThat(stats.get("buckets").get(0).get("count").asInt()).isZero();
            assertThat(stats.get("denialsByRule").toString()).isEqualTo("[{\"name\":\"analysts / embed-small\","
                    + "\"count\":5}]");
            assertThat(stats.get("maskedByDetector").toString()).isEqualTo("[{\"name\":\"email\",\"count\":40}]");
            assertThat(stats.get("topCallers").toString()).isEqualTo("[{\"name\":\"alice\",\"count\":13},"
                    + "{\"name\":\"bob\",\"count\":12}]");
        }
    }
}
