package io.gatehouse.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's one store: a connection pool on H2 (embedded) or PostgreSQL, with the schema
 * migrated by Flyway on open. Recordings, approvals and shared rate limits all live here. Thread-safe.
 *
 * <p><b>Durability.</b> PostgreSQL makes a commit durable before it returns (its WAL is flushed). H2
 * does not: its MVStore writes committed changes in the background, so a killed process loses the
 * last half second of commits (measured on H2 2.3.232: 88,739 commits acknowledged, 76,904 found
 * after {@code kill -9}). Writers that promise durability call {@link #forceDurable(Connection)}
 * after they commit, which on H2 runs {@code CHECKPOINT SYNC} (written and fsync'd).
 */
public final class Store implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Store.class);
    static final String H2_OBJECT_CACHE = "h2.objectCache";
    /** H2 files open through a Store in this JVM, and by how many. */
    private static final java.util.concurrent.ConcurrentMap<Path, Integer> OPEN_H2_FILES =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final StoreSettings settings;
    private final java.util.concurrent.atomic.LongAdder forcedSyncs = new java.util.concurrent.atomic.LongAdder();
    private final HikariDataSource dataSource;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private Store(StoreSettings settings, HikariDataSource dataSource) {
        this.settings = settings;
        this.dataSource = dataSource;
    }

    /**
     * Connects and migrates the schema.
     *
     * @throws StoreException when the database cannot be reached or migrated
     */
    public static Store open(StoreSettings settings) {
        return open(settings, null);
    }

    /**
     * As {@link #open(StoreSettings)}, with the pool's connections taken from {@code connections} instead of
     * the settings' URL: tests put a driver that fails in chosen ways between the store and its database.
     */
    static Store open(StoreSettings settings, DataSource connections) {
        Path h2File = null;
        boolean repairH2 = false;
        if (settings.dialect() == Dialect.H2) {
            keepH2FromCachingValues();
            createH2Directory(settings.url());
            h2File = h2DataFile(settings.url());
            if (h2File != null) {
                // Only the first opener in this JVM may repair: later ones share the database while it runs.
                boolean first = OPEN_H2_FILES.merge(h2File, 1, Integer::sum) == 1;
                repairH2 = first && connections == null && !H2CrashRepair.closedCleanly(h2File);
            }
        }
        try {
            return open(settings, connections, repairH2);
        } catch (RuntimeException e) {
            released(h2File);
            throw e;
        }
    }

    private static Store open(StoreSettings settings, DataSource connections, boolean repairH2) {
        HikariConfig hikari = new HikariConfig();
        if (connections != null) {
            hikari.setDataSource(connections);
        } else {
            hikari.setJdbcUrl(settings.url());
        }
        if (settings.username() != null) {
            hikari.setUsername(settings.username());
        }
        if (settings.password() != null) {
            hikari.setPassword(settings.password());
        }
        hikari.setMaximumPoolSize(settings.poolSize());
        hikari.setMinimumIdle(1);
        hikari.setPoolName("gatehouse-store");
        hikari.setConnectionTimeout(3_000);
        hikari.setValidationTimeout(2_000);
        hikari.setInitializationFailTimeout(1);
        HikariDataSource dataSource;
        try {
            dataSource = new HikariDataSource(hikari);
        } catch (RuntimeException e) {
            throw new StoreException("cannot connect to the store " + StoreSettings.redactedUrl(settings.url()) + ": "
                    + rootMessage(e), e);
        }
        if (repairH2) {
            repairAfterCrash(settings, dataSource);
        }
        try {
            Flyway.configure().dataSource(dataSource).locations("classpath:db/migration")
                    .failOnMissingLocations(true).load().migrate();
        } catch (FlywayException e) {
            dataSource.close();
            throw new StoreException("cannot migrate the store " + StoreSettings.redactedUrl(settings.url()) + ": "
                    + rootMessage(e), e);
        }
        LOG.info("store open: {} ({})", StoreSettings.redactedUrl(settings.url()), settings.dialect());
        return new Store(settings, dataSource);
    }

    /**
     * Turns off H2's cache of recently used values ({@code h2.objectCache}) unless the operator set it.
     * To look a value up there H2 hashes every string it is given, and the audit trail's strings are
     * unique (ids, hashes, payloads of kilobytes), so the cache never hits: the hashing was 1.5 % of the
     * gateway's CPU in the benchmark's full row (async-profiler). It must be set before H2 reads its
     * system properties; in a JVM where H2 already has, it changes nothing.
     */
    static void keepH2FromCachingValues() {
        if (System.getProperty(H2_OBJECT_CACHE) == null) {
            System.setProperty(H2_OBJECT_CACHE, "false");
        }
    }

    /**
     * Runs {@link H2CrashRepair} on an H2 database its last process did not close: what a kill cut out of
     * H2's own bookkeeping would otherwise fail reads through an index, and inserts of the same key, for
     * good. A repair that cannot run (an H2 whose engine classes changed) is logged, and the store opens as
     * it did before the repair existed.
     */
    private static void repairAfterCrash(StoreSettings settings, DataSource dataSource) {
        String url = StoreSettings.redactedUrl(settings.url());
        long started = System.nanoTime();
        try (Connection c = dataSource.getConnection()) {
            if (!H2CrashRepair.inThisProcess(c)) {
                // AUTO_SERVER: another process has the database open and repaired it when it opened it
                LOG.info("store {} is served by another process; that process checks it for a crash", url);
                return;
            }
            H2CrashRepair.Report report = H2CrashRepair.repair(c);
            if (report.changedAnything()) {
                LOG.warn("store {} was not closed cleanly: rolled back {} table and index entries of transactions"
                        + " the crash cut off, removed {} index entries without their row and added {} missing"
                        + " ones, in {} ms (the audit journal restores every acknowledged event at start)", url,
                        report.tornEntries(), report.danglingIndexEntries(), report.missingIndexEntries(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            } else {
                LOG.info("store {} was not closed cleanly; it holds nothing the crash cut off (checked in {} ms)", url,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            }
        } catch (SQLException | RuntimeException | LinkageError e) {
            LOG.warn("store {} was not closed cleanly and could not be checked for writes the crash cut off ({});"
                    + " if reads fail with 'Timeout trying to lock table', run `gatehouse audit verify`", url,
                    e.toString());
        }
    }

    /** The {@code .mv.db} file of a {@code jdbc:h2:file:} URL, or null for other H2 URLs. */
    static Path h2DataFile(String url) {
        String prefix = "jdbc:h2:file:";
        if (!url.startsWith(prefix)) {
            return null;
        }
        return Path.of(StoreSettings.redactedUrl(url).substring(prefix.length()) + ".mv.db").toAbsolutePath()
                .normalize();
    }

    private static void released(Path h2File) {
        if (h2File != null) {
            OPEN_H2_FILES.computeIfPresent(h2File, (file, count) -> count == 1 ? null : count - 1);
        }
    }

    private static void createH2Directory(String url) {
        try {
            Path file = h2DataFile(url);
            if (file != null && file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
        } catch (Exception e) {
            throw new StoreException("cannot create the directory of the store " + StoreSettings.redactedUrl(url)
                    + ": " + e.getMessage(), e);
        }
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** A pooled connection; the caller closes it. */
    public Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    public Dialect dialect() {
        return settings.dialect();
    }

    public StoreSettings settings() {
        return settings;
    }

    /**
     * Makes what was committed on this connection survive a crash: a no-op on PostgreSQL (a commit
     * is already durable), {@code CHECKPOINT SYNC} on H2.
     */
    public void forceDurable(Connection connection) throws SQLException {
        if (dialect() == Dialect.H2) {
            try (Statement s = connection.createStatement()) {
                s.execute("CHECKPOINT SYNC");
            }
            forcedSyncs.increment();
        }
    }

    /** Work on one connection inside a transaction. */
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction and commits it; with {@code durable}, forces the commit to disk
     * ({@link #forceDurable}) before returning. Reads pass false: on H2 a forced commit is a
     * {@code CHECKPOINT SYNC} of the whole database, which for a read only competes with the audit
     * journal's syncs for the disk. A failure rolls back and is a StoreException saying that {@code what}
     * is unavailable.
     */
    public <T> T inTransaction(Work<T> work, boolean durable, String what) {
        try (Connection c = connection()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                if (durable) {
                    forceDurable(c);
                }
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // the connection is broken; the pool drops it
                }
                throw e;
            } finally {
                c.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            throw new StoreException(what + " is unavailable: " + rootMessage(e), e);
        }
    }

    /**
     * How many {@code CHECKPOINT SYNC}s {@link #forceDurable} ran (H2 only). Each writes every dirty page and
     * fsyncs the database file, so only writes that promise durability may ask for one.
     */
    public long forcedSyncs() {
        return forcedSyncs.sum();
    }

    /** Null when the store answers a trivial query, else why not. */
    public String check() {
        try (Connection c = dataSource.getConnection()) {
            return c.isValid(2) ? null : "the store does not answer";
        } catch (SQLException | RuntimeException e) {
            return rootMessage(e);
        }
    }

    /** The innermost message of an exception chain, for operators. */
    public static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            dataSource.close();
            released(settings.dialect() == Dialect.H2 ? h2DataFile(settings.url()) : null);
        }
    }

    @Override
    public String toString() {
        return "Store[" + StoreSettings.redactedUrl(settings.url()) + "]";
    }
}
