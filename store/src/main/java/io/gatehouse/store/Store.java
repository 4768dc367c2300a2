package io.gatehouse.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
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

    private final StoreSettings settings;
    private final java.util.concurrent.atomic.LongAdder forcedSyncs = new java.util.concurrent.atomic.LongAdder();
    private final HikariDataSource dataSource;

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
        if (settings.dialect() == Dialect.H2) {
            keepH2FromCachingValues();
            createH2Directory(settings.url());
        }
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

    private static void createH2Directory(String url) {
        String prefix = "jdbc:h2:file:";
        if (!url.startsWith(prefix)) {
            return;
        }
        String path = StoreSettings.redactedUrl(url).substring(prefix.length());
        try {
            Path parent = Path.of(path).toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (Exception e) {
            throw new StoreException("cannot create the directory of the store " + path + ": " + e.getMessage(), e);
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
        dataSource.close();
    }

    @Override
    public String toString() {
        return "Store[" + StoreSettings.redactedUrl(settings.url()) + "]";
    }
}
