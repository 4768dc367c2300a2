package io.gatehouse.store.audit;

import static io.gatehouse.store.audit.Events.awaitAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.gatehouse.store.Dialect;
import io.gatehouse.store.TestStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The H2 damage a {@code kill -9} can leave (see {@link OrphanedKeys}): built here on purpose, as the crash
 * leaves it, an insert written to disk uncommitted with no undo log to roll it back. The restarted writer
 * must still drain its journal and start.
 */
class OrphanedKeysTest {

    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path temp;

    @Test
    void aKeyEntryTheCrashLeftWithoutItsUndoLogIsRebuiltAtStartAndTheJournalIsDrainedWhole() throws Exception {
        try (TestStores stores = TestStores.create(Dialect.H2, temp)) {
            AuditSettings settings = AuditSettings.defaults("r-orphan", temp.resolve("data-r-orphan"))
                    .withRetryInterval(Duration.ofMillis(100));
            AuditWriter writer = AuditWriter.start(stores.store(), settings, Clock.systemUTC());
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                done.add(writer.append(Events.start("orphan-" + i, "chat", T0.plusSeconds(i))));
            }
            awaitAll(done);
            Path journal = settings.spoolDirectory().resolve("journal-r-orphan.jsonl");
            assertThat(journal).as("acknowledged before H2 was synced").exists();
            try {
                Events.execute(stores.store(), "SHUTDOWN IMMEDIATELY");
            } catch (SQLException closedUnderUs) {
                // expected: the statement closes the database it runs on
            }
            writer.close();
            stores.reopen();
            AuditEvent torn = Spool.journal(settings.spoolDirectory(), "r-orphan").read().events().stream()
                    .filter(e -> e.recordId().equals("orphan-20")).findFirst().orElseThrow();
            // H2 lost what its background writer had not stored: at most the first twenty events, say.
            Events.execute(stores.store(), "DELETE FROM audit_event WHERE replica_id = 'r-orphan' AND seq >= "
                    + torn.seq());
            tearInsert(stores, torn);

            SQLException blocked = (SQLException) catchThrowable(() -> {
                try (Connection c = stores.store().connection()) {
                    c.setAutoCommit(false);
                    AuditRepository.insertEvents(c, List.of(torn));
                    c.commit();
                }
            });
            try (AuditWriter restarted = AuditWriter.start(stores.store(), settings, Clock.systemUTC())) {
                assertThat(restarted.health().state()).isEqualTo(AuditHealth.State.OK);
            }

            assertThat((Throwable) blocked).as("the damage is there: a plain insert of that key fails").isNotNull();
            assertThat(OrphanedKeys.blocked(blocked)).as(String.valueOf(blocked)).isTrue();
            assertThat(Events.rows(stores.store())).filteredOn(e -> e.recordId().startsWith("orphan-")
                    && e.type().equals("start")).hasSize(30);
            VerifyReport report = Events.verify(stores.store());
            assertThat(report.ok()).as(report.describe()).isTrue();
        }
    }

    @Test
    void aKeyEntryLeftPastTheJournalsEndIsRebuiltWhenTheStartWritesItsOwnEventThere() throws Exception {
        try (TestStores stores = TestStores.create(Dialect.H2, temp)) {
            AuditSettings settings = AuditSettings.defaults("r-past", temp.resolve("data-r-past"));
            try (AuditWriter writer = AuditWriter.start(stores.store(), settings, Clock.systemUTC())) {
                List<CompletableFuture<Void>> done = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    done.add(writer.append(Events.start("past-" + i, "chat", T0.plusSeconds(i))));
                }
                awaitAll(done);
            }
            long head = Events.rows(stores.store()).stream().filter(e -> e.replicaId().equals("r-past"))
                    .mapToLong(AuditEvent::seq).max().orElseThrow();
            // The batch being committed when the process died: in H2's file, in no journal.
            tearInsert(stores, Events.start("in-flight", "chat", T0).place("r-past", head + 1, "0".repeat(64)));

            try (AuditWriter restarted = AuditWriter.start(stores.store(), settings, Clock.systemUTC())) {
                assertThat(restarted.health().state()).isEqualTo(AuditHealth.State.OK);
            }

            assertThat(Events.rows(stores.store())).filteredOn(e -> e.seq() == head + 1 && e.replicaId().equals("r-past"))
                    .singleElement().satisfies(e -> {
                        // the restart's own first event (closing a start left open), not the torn insert
                        assertThat(e.recordId()).isNotEqualTo("in-flight");
                        assertThat(e.type()).isIn("end", "system");
                    });
            VerifyReport report = Events.verify(stores.store());
            assertThat(report.ok()).as(report.describe()).isTrue();
        }
    }

    @Test
    void aPrimaryKeyThatARepairDroppedAndACrashKeptFromComingBackIsAddedAgainAtStart() throws Exception {
        try (TestStores stores = TestStores.create(Dialect.H2, temp)) {
            Events.execute(stores.store(), "ALTER TABLE audit_event DROP CONSTRAINT pk_audit_event");
            AuditSettings settings = AuditSettings.defaults("r-key", temp.resolve("data-r-key"));

            try (AuditWriter writer = AuditWriter.start(stores.store(), settings, Clock.systemUTC())) {
                assertThat(writer.health().state()).isEqualTo(AuditHealth.State.OK);
            }

            SQLException duplicate = (SQLException) catchThrowable(() -> {
                AuditEvent first = Events.rows(stores.store()).get(0);
                try (Connection c = stores.store().connection()) {
                    AuditRepository.insertEvents(c, List.of(first));
                }
            });
            assertThat((Throwable) duplicate).as("the key is back: a second row with the same key is refused")
                    .isNotNull();
            assertThat(duplicate.getSQLState()).isEqualTo("23505");
        }
    }

    /**
     * Leaves {@code event}'s insert on disk uncommitted, with its transaction's undo log gone: a copy of the
     * file taken after a sync while the insert was open, with the undo logs removed (what a torn store
     * writes), put in place of the database.
     */
    private void tearInsert(TestStores stores, AuditEvent event) throws Exception {
        Path db = temp.resolve("data/store/gatehouse.mv.db");
        Path copy = temp.resolve("torn.mv.db");
        try (Connection first = stores.store().connection(); Connection open = stores.store().connection()) {
            // A transaction open before it, so the torn insert's has not the id the next start's session takes
            // (a session with the dead transaction's id would read its insert as its own).
            first.setAutoCommit(false);
            AuditRepository.insertEvents(first, List.of(Events.start("other", "chat", T0).place("r-other", 1,
                    Hashes.GENESIS)));
            open.setAutoCommit(false);
            AuditRepository.insertEvents(open, List.of(event));
            first.rollback();
            Events.execute(stores.store(), "CHECKPOINT SYNC");
            Files.copy(db, copy, StandardCopyOption.REPLACE_EXISTING);
            open.rollback();
        }
        stores.reopen();
        Files.move(copy, db, StandardCopyOption.REPLACE_EXISTING);
        MVStore raw = new MVStore.Builder().fileName(db.toString()).open();
        try {
            for (String name : raw.getMapNames()) {
                if (name.startsWith("undoLog")) {
                    raw.removeMap(name); // no undo record left, as the torn store wrote it
                }
            }
            raw.commit();
        } finally {
            raw.close();
        }
    }
}
