package io.gatehouse.store.audit;

import static io.gatehouse.store.audit.Events.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.store.Dialect;
import io.gatehouse.store.TestStores;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Retention per endpoint: content goes, the chain stays verifiable. On H2 and PostgreSQL. */
class RetentionTest {

    private static final Instant NOW = Instant.parse("2026-03-10T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path temp;

    private AuditSettings settings() {
        return AuditSettings.defaults("r-ret", temp.resolve("data")).withCheckpoints(5, Duration.ofHours(1));
    }

    private static void exchange(AuditWriter writer, String id, String endpoint, Instant at) {
        await(writer.append(Events.start(id, endpoint, at)));
        await(writer.append(Events.end(id, endpoint, at.plusMillis(20), "alice", "allowed", 200)));
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void expiredContentOfAnEndpointIsRemovedWhileTheChainStillVerifies(Dialect dialect) throws Exception {
        try (TestStores stores = TestStores.create(dialect, temp)) {
            try (AuditWriter writer = AuditWriter.start(stores.store(), settings(), CLOCK)) {
                exchange(writer, "short-old", "short", NOW.minus(Duration.ofDays(3)));
                exchange(writer, "short-new", "short", NOW.minus(Duration.ofHours(1)));
                exchange(writer, "long-old", "long", NOW.minus(Duration.ofDays(3)));
                writer.retain("short", Duration.ofDays(2));
                await(writer.runRetentionNow());
            }
            List<AuditEvent> rows = Events.rows(stores.store());
            assertThat(rows).filteredOn(e -> e.recordId().equals("short-old")).hasSize(2).allSatisfy(e -> {
                assertThat(e.payload()).isNull();
                assertThat(e.username()).isNull();
                assertThat(e.decision()).isNull();
                assertThat(e.status()).isNull();
            });
            assertThat(rows).filteredOn(e -> !e.recordId().equals("short-old") && e.type().equals("end"))
                    .extracting(AuditEvent::payload).doesNotContainNull();
            AuditEvent logged = rows.stream().filter(e -> e.type().equals("retention")).findFirst().orElseThrow();
            assertThat(logged.endpointId()).isEqualTo("short");
            assertThat(CanonicalJson.parse(logged.payload()).get("removed").asLong()).isEqualTo(2);

            VerifyReport report = Events.verify(stores.store());
            assertThat(report.ok()).as(report.describe()).isTrue();
            assertThat(report.chains().get(0).removed()).isEqualTo(2);
        }
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void contentRemovedWithoutALoggedRetentionIsReportedAsDeleted(Dialect dialect) throws Exception {
        try (TestStores stores = TestStores.create(dialect, temp)) {
            try (AuditWriter writer = AuditWriter.start(stores.store(), settings(), CLOCK)) {
                exchange(writer, "kept", "chat", NOW.minus(Duration.ofDays(3)));
            }
            Events.execute(stores.store(), "UPDATE audit_event SET payload = NULL, session_id = NULL, username = NULL,"
                    + " decision = NULL, status = NULL WHERE record_id = 'kept' AND event_type = 'end'");

            VerifyReport report = Events.verify(stores.store());
            assertThat(report.ok()).isFalse();
            assertThat(report.firstProblem()).isEqualTo(new VerifyReport.Problem(VerifyReport.Kind.MODIFIED, 3,
                    "event 3 has no content, and no logged retention removed it (content deleted)"));
        }
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void theStartOfAChainIsPrunedUpToACheckpointAndStillVerifies(Dialect dialect) throws Exception {
        try (TestStores stores = TestStores.create(dialect, temp)) {
            try (AuditWriter writer = AuditWriter.start(stores.store(), settings(), CLOCK)) {
                for (int i = 0; i < 6; i++) {
                    exchange(writer, "old-" + i, "short", NOW.minus(Duration.ofDays(30)));
                }
                exchange(writer, "young", "short", NOW);
                writer.retain("short", Duration.ofDays(7));
                await(writer.runRetentionNow());
            }
            VerifyReport report = Events.verify(stores.store());
            assertThat(report.ok()).as(report.describe()).isTrue();
            VerifyReport.Chain chain = report.chains().get(0);
            assertThat(chain.firstSeq()).as(report.describe()).isGreaterThan(1);
            assertThat(chain.describe()).contains("seq 1.." + (chain.firstSeq() - 1) + " pruned by retention");
            assertThat(Events.rows(stores.store())).extracting(AuditEvent::recordId).contains("young")
                    .anyMatch(id -> id.startsWith("prune-"));
        }
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void deletingTheStartOfAChainWithoutALoggedPruneIsDetected(Dialect dialect) throws Exception {
        try (TestStores stores = TestStores.create(dialect, temp)) {
            try (AuditWriter writer = AuditWriter.start(stores.store(), settings(), CLOCK)) {
                for (int i = 0; i < 6; i++) {
                    exchange(writer, "e-" + i, "chat", NOW);
                }
            }
            long sealed = Events.count(stores.store(), "SELECT MIN(chain_seq) FROM audit_checkpoint WHERE chain_seq > 1");
            Events.execute(stores.store(), "DELETE FROM audit_event WHERE seq <= " + sealed);

            VerifyReport report = Events.verify(stores.store());
            assertThat(report.firstProblem()).isEqualTo(new VerifyReport.Problem(VerifyReport.Kind.DELETED, 1,
                    "events 1.." + sealed + " are missing from the start of the chain and no logged prune removed them"));
        }
    }
}
