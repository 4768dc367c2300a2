package io.gatehouse.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.db.MVSecondaryIndex;
import org.h2.result.SearchRow;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The damage H2 can keep after a {@code kill -9} (see {@link H2CrashRepair}), built on purpose as the crash
 * leaves it: a copy of the file taken while an insert was open, with the undo logs gone. Transaction ids
 * matter here: H2 gives a new transaction the lowest free id, so the tests hold a first transaction open to
 * make the next one take the dead insert's id, the one session that reads that insert as its own.
 */
class H2CrashRepairTest {

    @TempDir
    Path temp;

    private StoreSettings settings;
    private Path file;

    @BeforeEach
    void paths() {
        settings = StoreSettings.embedded(temp.resolve("data"));
        file = Store.h2DataFile(settings.url());
    }

    @Test
    void aStoreClosedCleanlyIsSaidToBeAndOneCutOffIsNot() throws Exception {
        assertThat(H2CrashRepair.closedCleanly(file)).as("no file yet: nothing to repair").isTrue();
        createTable(10);
        assertThat(H2CrashRepair.closedCleanly(file)).isTrue();

        tearInsert(11);

        assertThat(H2CrashRepair.closedCleanly(file)).isFalse();
    }

    @Test
    void anInsertTheCrashCutOffIsGoneForTheSessionThatTakesItsTransactionIdAfterTheStoreOpens() throws Exception {
        createTable(10);
        tearInsert(11);

        try (Store store = Store.open(settings);
             Connection first = store.connection(); Connection second = store.connection()) {
            holdTransaction(first);
            second.setAutoCommit(false);
            // Without the repair this session reads the dead insert as its own: 11 rows, and the key is taken.
            assertThat(count(second, "SELECT COUNT(*) FROM t WHERE name >= ''")).isEqualTo(10);
            try (Statement s = second.createStatement()) {
                s.executeUpdate("INSERT INTO t VALUES (11, 'name-11', 'note-11')");
            }
            second.commit();
            first.rollback();
        }
        try (Connection c = plain()) {
            assertThat(count(c, "SELECT COUNT(*) FROM t")).isEqualTo(11);
        }
    }

    @Test
    void anIndexEntryWhoseRowTheCrashCutOffIsRemovedSoReadsThroughThatIndexAnswer() throws Exception {
        createTable(10);
        tearInsert(11);
        // The database reopened without the repair: an index built by the session holding the dead insert's
        // id reads that insert as a row and commits an entry for it; every other session finds no such row.
        try (Connection first = plain(); Connection second = plain()) {
            holdTransaction(first);
            try (Statement s = second.createStatement()) {
                s.execute("CREATE INDEX ix_t_note ON t (note)");
                s.execute("CHECKPOINT SYNC");
            }
            try (Statement s = first.createStatement()) {
                s.execute("SHUTDOWN IMMEDIATELY");
            } catch (SQLException closedUnderUs) {
                // expected: the statement closes the database it runs on
            }
        }
        assertThat(H2CrashRepair.closedCleanly(file)).isFalse();

        try (Store store = Store.open(settings); Connection first = store.connection();
             Connection second = store.connection(); Connection third = store.connection()) {
            // Three sessions with three transaction ids: without the repair the one with the dead insert's id
            // counts 11 and the others retry "row not found" until "Timeout trying to lock table".
            holdTransaction(first);
            holdTransaction(second);
            for (Connection c : List.of(third, second, first)) {
                assertThat(count(c, "SELECT COUNT(name) FROM t USE INDEX (ix_t_note) WHERE note >= 'note-'"))
                        .as("read through the index built over the dead insert").isEqualTo(10);
                assertThat(count(c, "SELECT COUNT(note) FROM t USE INDEX (ix_t_name) WHERE name >= 'name-'"))
                        .isEqualTo(10);
            }
            assertThat(explain(third, "SELECT COUNT(name) FROM t USE INDEX (ix_t_note) WHERE note >= 'note-'"))
                    .contains("IX_T_NOTE");
            first.rollback();
            second.rollback();
        }
    }

    @Test
    void anIndexEntryTheCrashKeptFromBeingWrittenIsAddedSoReadsThroughThatIndexFindTheRow() throws Exception {
        createTable(10);
        // What the file holds when H2 took the index before an insert reached it and the table after: the row
        // without its index entry.
        try (Connection c = plain()) {
            MVSecondaryIndex index = (MVSecondaryIndex) session(c).getDatabase().getSchema("PUBLIC")
                    .getIndex("IX_T_NAME");
            SearchRow first = index.getMVMap().firstKey();
            index.getMVMap().remove(first);
            try (Statement s = c.createStatement()) {
                s.execute("CHECKPOINT SYNC");
                s.execute("SHUTDOWN IMMEDIATELY");
            } catch (SQLException closedUnderUs) {
                // expected: the statement closes the database it runs on
            }
        }
        try (Connection c = plain()) {
            assertThat(count(c, "SELECT COUNT(note) FROM t USE INDEX (ix_t_name) WHERE name >= 'name-'"))
                    .as("the damage is there").isEqualTo(9);
            try (Statement s = c.createStatement()) {
                s.execute("SHUTDOWN IMMEDIATELY");
            } catch (SQLException closedUnderUs) {
                // expected
            }
        }

        try (Store store = Store.open(settings); Connection c = store.connection()) {
            assertThat(count(c, "SELECT COUNT(note) FROM t USE INDEX (ix_t_name) WHERE name >= 'name-'"))
                    .isEqualTo(10);
            assertThat(count(c, "SELECT COUNT(note) FROM t USE INDEX (ix_t_name) WHERE name = 'name-1'"))
                    .isEqualTo(1);
        }
    }

    @Test
    void aStoreClosedCleanlyIsOpenedWithoutLookingAndKeepsItsRows() throws Exception {
        createTable(10);

        try (Store store = Store.open(settings); Connection c = store.connection()) {
            assertThat(count(c, "SELECT COUNT(note) FROM t USE INDEX (ix_t_name) WHERE name >= 'name-'")).isEqualTo(10);
        }
        assertThat(H2CrashRepair.closedCleanly(file)).as("the store's close marks it clean").isTrue();
    }

    @Test
    void theRepairChangesNothingInADatabaseWithoutDamage() throws Exception {
        createTable(10);

        try (Connection c = plain()) {
            assertThat(H2CrashRepair.inThisProcess(c)).as("an embedded database, repaired from here").isTrue();
            H2CrashRepair.Report report = H2CrashRepair.repair(c);
            assertThat(report.changedAnything()).as(report.toString()).isFalse();
            assertThat(count(c, "SELECT COUNT(*) FROM t")).isEqualTo(10);
        }
    }

    @Test
    void theRepairReportsWhatItUndid() throws Exception {
        createTable(10);
        tearInsert(11);

        try (Connection c = plain()) {
            H2CrashRepair.Report report = H2CrashRepair.repair(c);
            // the row, its entry in the one index, and the scratch row of the transaction held open beside it
            assertThat(report.tornEntries()).isEqualTo(3);
            assertThat(report.danglingIndexEntries()).isZero();
            assertThat(report.missingIndexEntries()).isZero();
        }
    }

    // ---- building the damage ----

    private Connection plain() throws SQLException {
        return DriverManager.getConnection(settings.url());
    }

    private void createTable(int rows) throws Exception {
        Store.open(settings).close(); // the store's own schema first, as a gateway would have it
        try (Connection c = plain(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR(40), note VARCHAR(40))");
            s.execute("CREATE INDEX ix_t_name ON t (name)");
            s.execute("CREATE TABLE scratch (id BIGINT)");
            for (int i = 1; i <= rows; i++) {
                s.executeUpdate("INSERT INTO t VALUES (" + i + ", 'name-" + i + "', 'note-" + i + "')");
            }
        }
    }

    /**
     * Leaves the insert of row {@code id} on disk uncommitted, with its transaction's undo log gone: a copy of
     * the file synced while the insert was open, its undo logs removed, never closed cleanly. The insert's
     * transaction has id 2 (the first transaction holds 1).
     */
    private void tearInsert(long id) throws Exception {
        Path copy = temp.resolve("torn.mv.db");
        try (Connection first = plain(); Connection open = plain()) {
            holdTransaction(first);
            open.setAutoCommit(false);
            try (Statement s = open.createStatement()) {
                s.executeUpdate("INSERT INTO t VALUES (" + id + ", 'name-" + id + "', 'note-" + id + "')");
            }
            try (Connection sync = plain(); Statement s = sync.createStatement()) {
                s.execute("CHECKPOINT SYNC");
            }
            Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
            open.rollback();
            first.rollback();
        }
        Files.move(copy, file, StandardCopyOption.REPLACE_EXISTING);
        MVStore raw = new MVStore.Builder().fileName(file.toString()).open();
        List<String> undoLogs = new ArrayList<>();
        for (String name : raw.getMapNames()) {
            if (name.startsWith("undoLog")) {
                undoLogs.add(name);
            }
        }
        undoLogs.forEach(raw::removeMap);
        raw.commit();
        raw.closeImmediately(); // as killed: no clean mark
    }

    /** Takes the lowest free transaction id, so that the next transaction gets the one after it. */
    private static void holdTransaction(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO scratch VALUES (1)");
        }
    }

    private static SessionLocal session(Connection c) throws SQLException {
        return (SessionLocal) c.unwrap(JdbcConnection.class).getSession();
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String explain(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("EXPLAIN " + sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
