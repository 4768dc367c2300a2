package io.gatehouse.store.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.spi.ServiceUnavailableException;
import io.gatehouse.spi.audit.AuditEntry;
import io.gatehouse.spi.audit.AuditLog;
import io.gatehouse.store.Dialect;
import io.gatehouse.store.Store;
import io.gatehouse.store.TestStores;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The SPI's AuditLog over the store's trail: what plugins append is chained, canonical and verifiable. */
class StoreAuditLogTest {

    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path temp;

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void entriesAppendedThroughTheSpiAreChainedKeptAsGivenAndVerify(Dialect dialect) throws Exception {
        try (TestStores stores = TestStores.create(dialect, temp)) {
            Store store = stores.store();
            try (AuditWriter writer = AuditWriter.start(store, AuditSettings.defaults("r-spi", temp.resolve("data")),
                    Clock.systemUTC())) {
                AuditLog log = new StoreAuditLog(writer);

                log.append(new AuditEntry(AuditEntry.Kind.START, "rec-1", T0, "chat",
                        "{\"request\": {\"path\": \"/v1/chat/completions\", \"method\": \"POST\"}}"))
                        .toCompletableFuture().get(30, TimeUnit.SECONDS);
                log.append(new AuditEntry(AuditEntry.Kind.END, "rec-1", T0.plusMillis(5), "chat",
                        "{\"status\": 200, \"username\": \"alice\", \"decision\": \"allowed\","
                                + " \"sessionId\": \"s-1\"}"))
                        .toCompletableFuture().get(30, TimeUnit.SECONDS);

                List<AuditEvent> rows = Events.rows(store);
                assertThat(rows).extracting(AuditEvent::type).containsExactly("system", "start", "end");
                assertThat(rows.get(1).payload())
                        .isEqualTo("{\"request\": {\"path\": \"/v1/chat/completions\", \"method\": \"POST\"}}");
                assertThat(rows.get(1).payloadDigest()).isEqualTo(Hashes.sha256Hex(rows.get(1).payload()));
                assertThat(rows.get(2).username()).isEqualTo("alice");
                assertThat(rows.get(2).decision()).isEqualTo("allowed");
                assertThat(rows.get(2).sessionId()).isEqualTo("s-1");
                assertThat(rows.get(2).status()).isEqualTo(200);
                assertThat(rows.get(2).time()).isEqualTo(T0.plusMillis(5));
            }
            VerifyReport report = Events.verify(store);
            assertThat(report.ok()).as(report.describe()).isTrue();
        }
    }

    @Test
    void aCanonicalEntryBecomesTheSameEventAsTheTreeTheStoreWouldHaveWritten() {
        ObjectNode tree = CanonicalJson.object();
        tree.put("username", "bob").put("status", 201).put("sessionId", "s-9").put("decision", "denied")
                .putObject("response").put("body", "caf\u00e9 \"quoted\"\n");
        EventDraft expected = EventDraft.of(EventType.END, "rec-2", T0, "chat", tree);

        EventDraft draft = StoreAuditLog.draft(new AuditEntry(AuditEntry.Kind.END, "rec-2", T0, "chat",
                CanonicalJson.write(tree)));

        assertThat(draft).isEqualTo(expected);
    }

    @Test
    void theQueryColumnsAreReadFromThePayloadAsTheVerifierReadsThem() {
        String longName = "x".repeat(300);
        EventDraft draft = StoreAuditLog.draft(new AuditEntry(AuditEntry.Kind.END, "rec-3", T0, "chat",
                "{\"username\":\"" + longName + "\",\"status\":\"200\",\"decision\":7,"
                        + "\"nested\":{\"sessionId\":\"s\"}}"));

        assertThat(draft.username()).as("longer than a column").isNull();
        assertThat(draft.status()).as("not an integer").isNull();
        assertThat(draft.decision()).as("not a string").isNull();
        assertThat(draft.sessionId()).as("not top-level").isNull();
        assertThat(draft.payloadDigest()).isEqualTo(Hashes.sha256Hex(draft.payload()));
    }

    @Test
    void columnsGivenByTheProducerAreKeptWithoutReadingThePayloadAgain() {
        String payload = "{\"decision\":\"allowed\",\"sessionId\":\"s-1\",\"status\":200,\"username\":\"alice\"}";
        EventDraft read = StoreAuditLog.draft(new AuditEntry(AuditEntry.Kind.END, "rec-4", T0, "chat", payload));

        EventDraft given = StoreAuditLog.draft(new AuditEntry(AuditEntry.Kind.END, "rec-4", T0, "chat", payload,
                new AuditEntry.Columns("s-1", "alice", "allowed", 200)));

        assertThat(given).isEqualTo(read);
    }

    @Test
    void aGivenColumnLongerThanTheStoreKeepsIsDroppedAsTheVerifierExpects() {
        String longName = "x".repeat(300);
        EventDraft draft = StoreAuditLog.draft(new AuditEntry(AuditEntry.Kind.END, "rec-5", T0, "chat",
                "{\"username\":\"" + longName + "\"}", new AuditEntry.Columns(null, longName, null, null)));

        assertThat(draft.username()).isNull();
    }

    @Test
    void anEventWhoseGivenColumnsDifferFromItsPayloadFailsVerify() throws Exception {
        try (TestStores stores = TestStores.create(Dialect.H2, temp)) {
            Store store = stores.store();
            try (AuditWriter writer = AuditWriter.start(store, AuditSettings.defaults("r-cols", temp.resolve("data")),
                    Clock.systemUTC())) {
                new StoreAuditLog(writer).append(new AuditEntry(AuditEntry.Kind.END, "rec-6", T0, "chat",
                                "{\"username\":\"alice\"}", new AuditEntry.Columns(null, "mallory", null, null)))
                        .toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            VerifyReport report = Events.verify(store);
            assertThat(report.ok()).isFalse();
            assertThat(report.describe()).contains("username");
        }
    }

    @Test
    void eachKindOfEntryIsTheTrailsEventOfTheSameName() {
        assertThat(StoreAuditLog.type(AuditEntry.Kind.START)).isEqualTo(EventType.START);
        assertThat(StoreAuditLog.type(AuditEntry.Kind.END)).isEqualTo(EventType.END);
        assertThat(StoreAuditLog.type(AuditEntry.Kind.AMEND)).isEqualTo(EventType.AMEND);
    }

    @Test
    void aPayloadThatIsNotOneJsonObjectIsRefusedAtOnce() {
        AuditLog log = new StoreAuditLog(AuditTrail.unavailable("not used"));

        assertThatThrownBy(() -> log.append(new AuditEntry(AuditEntry.Kind.START, "r", T0, "chat", "[1, 2]")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("not a JSON object");
        assertThatThrownBy(() -> log.append(new AuditEntry(AuditEntry.Kind.START, "r", T0, "chat", "{} {}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("not a single JSON object");
        assertThatThrownBy(() -> log.append(new AuditEntry(AuditEntry.Kind.START, "r", T0, "chat", "{\"a\":")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("not JSON: ");
    }

    @Test
    void whatTheTrailCannotMakeDurableFailsAsTheSpisServiceUnavailable() {
        AuditLog log = new StoreAuditLog(AuditTrail.unavailable("config validate does not open the store"));

        assertThatThrownBy(() -> log.append(new AuditEntry(AuditEntry.Kind.START, "r", T0, "chat", "{}"))
                .toCompletableFuture().join())
                .isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(ServiceUnavailableException.class)
                .hasMessage("config validate does not open the store");
        assertThat(log.health()).isEqualTo(new AuditLog.Health(AuditLog.Health.State.FAILED,
                "config validate does not open the store"));
        assertThat(log.health().accepting()).isFalse();
    }

    @Test
    void retentionAskedThroughTheSpiReachesTheTrail() {
        List<String> retained = new java.util.ArrayList<>();
        AuditTrail trail = new AuditTrail() {
            @Override
            public java.util.concurrent.CompletableFuture<Void> append(EventDraft event) {
                return java.util.concurrent.CompletableFuture.completedFuture(null);
            }

            @Override
            public void retain(String endpointId, java.time.Duration retention) {
                retained.add(endpointId + " " + retention);
            }

            @Override
            public String replicaId() {
                return "r-x";
            }

            @Override
            public AuditHealth health() {
                return new AuditHealth(AuditHealth.State.SPOOLING, "store down", 3, 0, 0, 0, 0, 0);
            }
        };
        AuditLog log = new StoreAuditLog(trail);

        log.retain("chat", java.time.Duration.ofDays(30));

        assertThat(retained).containsExactly("chat PT720H");
        assertThat(log.health()).isEqualTo(new AuditLog.Health(AuditLog.Health.State.SPOOLING, "store down"));
        assertThat(log.health().accepting()).isTrue();
    }
}
