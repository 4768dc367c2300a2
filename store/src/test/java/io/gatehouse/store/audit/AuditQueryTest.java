package io.gatehouse.store.audit;

import static io.gatehouse.store.audit.Events.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.store.Dialect;
import io.gatehouse.store.TestStores;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Listing, showing, replaying and exporting recordings, on H2 and PostgreSQL. */
class AuditQueryTest {

    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path temp;

    private AuditQuery fill(TestStores stores) throws Exception {
        try (AuditWriter writer = AuditWriter.start(stores.store(), AuditSettings.defaults("r-q", temp.resolve("d")),
                Clock.systemUTC())) {
            await(writer.append(Events.start("a1", "chat", T0)));
            await(writer.append(Events.end("a1", "chat", T0.plusMillis(30), "alice", "allowed", 200)));
            await(writer.append(Events.start("a2", "chat", T0.plusSeconds(3600))));
            await(writer.append(Events.end("a2", "chat", T0.plusSeconds(3600), "alice", "denied", 403)));
            await(writer.append(Events.start("b1", "embed", T0.plusSeconds(7200))));
            await(writer.append(Events.end("b1", "embed", T0.plusSeconds(7200), "bob", "denied", 401)));
            await(writer.append(Events.start("open", "chat", T0.plusSeconds(9000))));
        }
        return new AuditQuery(stores.store());
    }

    private static List<String> ids(ArrayNode rows) {
        return StreamSupport.stream(rows.spliterator(), false).map(r -> r.get("recordId").asText()).toList();
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void listFiltersByUserEndpointTimeAndDecisionNewestFirst(Dialect dialect) throws Exception {
        try (TestStores stores = TestStores.create(dialect, temp)) {
            AuditQuery query = fill(stores);

            assertThat(ids(query.list(new AuditQuery.Filter(null, null, null, null, null, 100))))
                    .containsExactly("open", "b1", "a2", "a1");
            assertThat(ids(query.list(new AuditQuery.Filter("alice", null, null, null, null, 100))))
                    .containsExactly("a2", "a1");
            assertThat(ids(query.list(new AuditQuery.Filter(null, "chat", null, "denied", null, 100))))
                    .containsExactly("a2");
            assertThat(ids(query.list(new AuditQuery.Filter(null, null, T0.plusSeconds(3000), "denied", null, 100))))
                    .containsExactly("b1", "a2");
            assertThat(ids(query.list(new AuditQuery.Filter(null, null, null, "open", null, 100))))
                    .containsExactly("open");
            assertThat(ids(query.list(new AuditQuery.Filter(null, null, null, null, "s-bob", 100))))
                    .containsExactly("b1");
            assertThat(ids(query.list(new AuditQuery.Filter(null, null, null, null, null, 2))))
                    .containsExactly("open", "b1");

            JsonNode a1 = query.list(new AuditQuery.Filter("alice", null, null, "allowed", null, 1)).get(0);
            assertThat(a1.get("time").asText()).isEqualTo("2026-03-01T10:00:00Z");
            assertThat(a1.get("endpoint").asText()).isEqualTo("chat");
            assertThat(a1.get("method").asText()).isEqualTo("POST");
            assertThat(a1.get("operation").asText()).isEqualTo("chat");
            assertThat(a1.get("model").asText()).isEqualTo("demo-small");
            assertThat(a1.get("status").asInt()).isEqualTo(200);
            assertThat(a1.get("complete").asBoolean()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void showMergesStartAndEndAndFindsARecordByItsIdOrByAnEventsPlace(Dialect dialect) throws Exception {
        try (TestStores stores = TestStores.create(dialect, temp)) {
            AuditQuery query = fill(stores);

            ObjectNode record = query.show("a1").orElseThrow();
            assertThat(record.get("recordId").asText()).isEqualTo("a1");
            assertThat(record.get("decision").asText()).isEqualTo("allowed");
            assertThat(record.get("username").asText()).isEqualTo("alice");
            assertThat(record.at("/request/method").asText()).isEqualTo("POST");
            assertThat(record.at("/response/status").asInt()).isEqualTo(200);
            assertThat(record.get("startTime").asText()).isEqualTo("2026-03-01T10:00:00Z");
            assertThat(record.get("endTime").asText()).isEqualTo("2026-03-01T10:00:00.030Z");
            assertThat(record.get("events")).hasSize(2);
            assertThat(record.at("/events/0/replica").asText()).isEqualTo("r-q");
            assertThat(record.at("/events/0/seq").asLong()).isEqualTo(2);

            assertThat(query.show("r-q:3").orElseThrow().get("recordId").asText()).isEqualTo("a1");
            ObjectNode open = query.show("open").orElseThrow();
            assertThat(open.get("decision").asText()).isEqualTo("open");
            assertThat(open.get("complete").asBoolean()).isFalse();
            assertThat(query.show("nope")).isEmpty();

            ObjectNode replay = query.replay("a1").orElseThrow();
            assertThat(replay.at("/request/path").asText()).isEqualTo("/v1/chat/completions");
            assertThat(replay.at("/response/body/text").asText()).isEqualTo("{\"ok\":true}");
        }
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void exportWritesOneJsonLinePerEventSinceAnInstantOldestFirst(Dialect dialect) throws Exception {
        try (TestStores stores = TestStores.create(dialect, temp)) {
            AuditQuery query = fill(stores);
            StringWriter out = new StringWriter();

            long lines = query.export(T0.plusSeconds(3600), out);

            List<String> text = out.toString().lines().toList();
            assertThat(lines).isEqualTo(text.size());
            // a2 start+end, b1 start+end, open start, and the replica's own system event (written now)
            assertThat(text).hasSize(6);
            JsonNode first = CanonicalJson.parse(text.get(0));
            assertThat(first.get("recordId").asText()).isEqualTo("a2");
            assertThat(first.get("type").asText()).isEqualTo("start");
            assertThat(first.get("time").asText()).isEqualTo("2026-03-01T11:00:00Z");
            assertThat(first.get("hash").asText()).hasSize(64);
            assertThat(first.at("/payload/operation/kind").asText()).isEqualTo("chat");
        }
    }
}
