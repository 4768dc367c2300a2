package io.gatehouse.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.h2.engine.Database;
import org.h2.engine.SessionLocal;
import org.h2.index.Index;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.db.MVPrimaryIndex;
import org.h2.mvstore.db.MVSecondaryIndex;
import org.h2.mvstore.db.MVTable;
import org.h2.mvstore.tx.Transaction;
import org.h2.mvstore.tx.TransactionStore;
import org.h2.result.SearchRow;
import org.h2.schema.Schema;
import org.h2.table.Table;
import org.h2.value.VersionedValue;

/**
 * Undoes what H2 (2.3.232, 2.4.240 alike) can leave on disk when its process is killed while it stores.
 *
 * <p>H2's MVStore writes a version by taking each map's root one after the other, while transactions go on
 * committing and rolling back (h2database issue #2080). A store that runs while a transaction ends can
 * therefore capture a table's entry still marked with that transaction's id and, a moment later, the
 * transaction's undo log already emptied. The next store would write the finished state; a {@code kill -9}
 * before it leaves the file with entries that belong to a transaction nobody can end:
 * <ul>
 *   <li>a session whose transaction happens to get the dead one's id reads them as its own, any other
 *       session does not;</li>
 *   <li>an index entry whose row is such an entry (or is gone) makes every read through that index retry
 *       "row not found in primary index" until "Timeout trying to lock table" (seen in the crash test on
 *       {@code SELECT ... WHERE event_type = 'end'});</li>
 *   <li>an insert of the same key waits on the dead transaction (see the audit writer's key rebuild).</li>
 * </ul>
 * Reopening does not clear them. This class does, once, when a database that was not closed cleanly is
 * opened: every entry of a transaction that is not running goes back to its committed value (an insert
 * disappears), then every index entry whose row is not in its table is removed.
 *
 * <p>Rolling back is the safe direction. Such a transaction was being committed or rolled back by the last
 * store before the kill, so nothing durable depended on it: the audit trail's acknowledged events are in
 * its journal, which the audit writer drains into the store at start, and the approvals' and break-glass
 * writes are acknowledged only after a forced sync that would have written the finished state.
 *
 * <p>It reads and writes H2's maps directly (H2's own engine classes: public, though not a documented API),
 * so it must run before anything else uses the database.
 */
final class H2CrashRepair {

    /** What a repair changed. */
    record Report(long tornEntries, long danglingIndexEntries, long missingIndexEntries) {
        boolean changedAnything() {
            return tornEntries > 0 || danglingIndexEntries > 0 || missingIndexEntries > 0;
        }
    }

    private H2CrashRepair() {
    }

    /**
     * Whether the H2 file at {@code mvDbFile} was closed cleanly: H2 writes {@code clean:1} into the file's
     * header when it closes and removes it with the first write after it opens. A missing file counts as
     * clean (nothing to repair); a header that cannot be read counts as not clean (the repair then looks).
     */
    static boolean closedCleanly(Path mvDbFile) {
        if (!Files.isRegularFile(mvDbFile)) {
            return true;
        }
        try (FileChannel channel = FileChannel.open(mvDbFile, StandardOpenOption.READ)) {
            ByteBuffer block = ByteBuffer.allocate(4096);
            while (block.hasRemaining() && channel.read(block) >= 0) {
                // the first block: H2 writes both copies of its header in one write
            }
            String text = new String(block.array(), 0, block.position(), StandardCharsets.ISO_8859_1);
            int end = text.indexOf('\n');
            if (end < 0) {
                return false;
            }
            Map<String, String> header = DataUtils.parseMap(text.substring(0, end));
            String clean = header.get("clean");
            return clean != null && !clean.equals("0");
        } catch (IOException | RuntimeException unreadable) {
            return false;
        }
    }

    /** Whether {@code c}'s database runs in this JVM (not reached over H2's AUTO_SERVER connection). */
    static boolean inThisProcess(Connection c) throws SQLException {
        return c.unwrap(JdbcConnection.class).getSession() instanceof SessionLocal;
    }

    /**
     * Rolls back the entries of transactions that are not running, in every table and index of the
     * database {@code c} is connected to, then removes index entries whose row is gone. {@code c} must be
     * an embedded H2 connection (a pooled one is unwrapped) and no other session may be writing.
     */
    static Report repair(Connection c) throws SQLException {
        SessionLocal session = (SessionLocal) c.unwrap(JdbcConnection.class).getSession();
        Database database = session.getDatabase();
        TransactionStore transactions = database.getStore().getTransactionStore();
        BitSet running = new BitSet();
        for (Transaction t : transactions.getOpenTransactions()) {
            running.set(t.getId());
        }
        long torn = 0;
        long dangling = 0;
        long missing = 0;
        for (Schema schema : database.getAllSchemasNoMeta()) {
            for (Table table : schema.getAllTablesAndViews(session)) {
                if (!(table instanceof MVTable mvTable)) {
                    continue;
                }
                MVPrimaryIndex primary = null;
                List<MVSecondaryIndex> secondaries = new ArrayList<>();
                for (Index index : mvTable.getIndexes()) {
                    if (index instanceof MVPrimaryIndex p) {
                        primary = p;
                    } else if (index instanceof MVSecondaryIndex s) {
                        secondaries.add(s);
                    }
                }
                if (primary == null) {
                    continue;
                }
                MVMap<Long, VersionedValue<SearchRow>> rows = primary.getMVMap();
                RowKeys rowKeys = new RowKeys(rows.sizeAsLong());
                torn += rollBackTorn(rows, running, rowKeys);
                for (MVSecondaryIndex index : secondaries) {
                    MVMap<SearchRow, VersionedValue<org.h2.value.Value>> entries = index.getMVMap();
                    torn += rollBackTorn(entries, running, null);
                    dangling += removeDangling(entries, rowKeys);
                    if (entries.sizeAsLong() != rows.sizeAsLong()) {
                        missing += addMissing(index, rows);
                    }
                }
            }
        }
        if (torn > 0 || dangling > 0 || missing > 0) {
            database.getStore().getMvStore().commit();
            database.getStore().getMvStore().sync();
        }
        return new Report(torn, dangling, missing);
    }

    /**
     * Puts every entry marked with a transaction that is not running back to its committed value (removes
     * it when it had none: an insert). Such an entry is what the committing transaction would have cleared
     * or the rolling-back one would have undone, had the store not been cut between the two. The keys that
     * remain go into {@code kept} when it is given (a table's rows).
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static <K, V> long rollBackTorn(MVMap<K, VersionedValue<V>> map, BitSet running, RowKeys kept) {
        List<K> keys = new ArrayList<>();
        List<Object> committed = new ArrayList<>();
        for (Cursor<K, VersionedValue<V>> cursor = map.cursor(null); cursor.hasNext(); ) {
            K key = cursor.next();
            VersionedValue<V> value = cursor.getValue();
            long operation = value == null ? 0 : value.getOperationId();
            if (operation != 0 && !running.get(transactionOf(operation))) {
                keys.add(key);
                committed.add(value.getCommittedValue());
                if (kept != null && value.getCommittedValue() != null) {
                    kept.add((Long) key);
                }
            } else if (kept != null) {
                kept.add((Long) key);
            }
        }
        for (int i = 0; i < keys.size(); i++) {
            Object value = committed.get(i);
            if (value == null) {
                map.remove(keys.get(i));
            } else {
                // H2's row and value classes are committed versioned values of themselves
                ((MVMap) map).put(keys.get(i), (VersionedValue) value);
            }
        }
        return keys.size();
    }

    /**
     * A table's row keys, ascending (its map's order), gathered while its rows are read for torn entries:
     * looking each index entry up in the map itself would read the table's pages again for every index
     * (17 s instead of about 2 s for 400,000 rows of 1.5 KB and four indexes).
     */
    private static final class RowKeys {
        private long[] keys;
        private int size;

        RowKeys(long expected) {
            keys = new long[(int) Math.min(Math.max(expected, 16), Integer.MAX_VALUE - 8)];
        }

        void add(long key) {
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, keys.length * 2);
            }
            keys[size++] = key;
        }

        boolean contains(long key) {
            return Arrays.binarySearch(keys, 0, size, key) >= 0;
        }
    }

    /** Removes index entries whose row key is not among the table's row keys. */
    private static <V> long removeDangling(MVMap<SearchRow, VersionedValue<V>> entries, RowKeys rowKeys) {
        List<SearchRow> gone = new ArrayList<>();
        for (Cursor<SearchRow, VersionedValue<V>> cursor = entries.cursor(null); cursor.hasNext(); ) {
            SearchRow entry = cursor.next();
            if (!rowKeys.contains(entry.getKey())) {
                gone.add(entry);
            }
        }
        for (SearchRow entry : gone) {
            entries.remove(entry);
        }
        return gone.size();
    }

    /**
     * Adds the entries of rows an index lacks (the store took the index before the insert reached it and the
     * table after): every row of a table has one entry in each of its indexes, so a count that differs after
     * the removals says some are missing. The entry is made as H2 makes it: the index's row with the row's key.
     */
    private static long addMissing(MVSecondaryIndex index, MVMap<Long, VersionedValue<SearchRow>> rows) {
        MVMap<SearchRow, VersionedValue<org.h2.value.Value>> entries = index.getMVMap();
        long added = 0;
        for (Cursor<Long, VersionedValue<SearchRow>> cursor = rows.cursor(null); cursor.hasNext(); ) {
            long key = cursor.next();
            SearchRow row = cursor.getValue().getCurrentValue();
            SearchRow entry = index.getRowFactory().createRow();
            entry.copyFrom(row);
            entry.setKey(key);
            if (!entries.containsKey(entry)) {
                entries.put(entry, org.h2.value.ValueNull.INSTANCE);
                added++;
            }
        }
        return added;
    }

    /** The transaction id in an H2 operation id (its top 24 bits; the low 40 are the undo log position). */
    private static int transactionOf(long operationId) {
        return (int) (operationId >>> 40);
    }
}
