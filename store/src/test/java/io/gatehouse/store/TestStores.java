package io.gatehouse.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A fresh store per test: an H2 file in a temp folder, or a new PostgreSQL database
 * ({@code gatehouse_test_<random>} on the server named by system property
 * {@code gatehouse.test.postgres}, default 127.0.0.1:5432 as user postgres) that {@link #close()}
 * drops.
 */
public final class TestStores implements AutoCloseable {

    static final String DEFAULT_ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";

    private final Dialect dialect;
    private final StoreSettings settings;
    private final String database;
    private Store store;

    private TestStores(Dialect dialect, StoreSettings settings, String database) {
        this.dialect = dialect;
        this.settings = settings;
        this.database = database;
    }

    public static TestStores create(Dialect dialect, Path temp) throws SQLException {
        if (dialect == Dialect.H2) {
            return new TestStores(dialect, StoreSettings.embedded(temp.resolve("data")), null);
        }
        String database = "gatehouse_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = DriverManager.getConnection(adminUrl()); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        }
        return new TestStores(dialect, new StoreSettings(databaseUrl(database), null, null, 4), database);
    }

    static String adminUrl() {
        String url = System.getProperty("gatehouse.test.postgres");
        return url == null || url.isBlank() || url.startsWith("${") ? DEFAULT_ADMIN_URL : url;
    }

    private static String databaseUrl(String database) {
        String admin = adminUrl();
        int q = admin.indexOf('?');
        String base = q < 0 ? admin : admin.substring(0, q);
        String query = q < 0 ? "" : admin.substring(q);
        return base.substring(0, base.lastIndexOf('/') + 1) + database + query;
    }

    public Dialect dialect() {
        return dialect;
    }

    public StoreSettings settings() {
        return settings;
    }

    /** The store, opened (and migrated) on first use. */
    public Store store() {
        if (store == null) {
            store = Store.open(settings);
        }
        return store;
    }

    /**
     * The store, opened on a driver that throws {@code failure} from every {@code executeBatch} while
     * {@code failing} is set: the way pgjdbc fails a batch on a connection that broke under it.
     */
    public Store storeWhoseBatchesFail(java.util.function.BooleanSupplier failing,
                                       java.util.function.Supplier<Throwable> failure) {
        if (store == null) {
            store = Store.open(settings, new FailingBatches(settings, failing, failure));
        }
        return store;
    }

    /** Closes the open store, so the next {@link #store()} opens it again (a restart). */
    public void reopen() {
        if (store != null) {
            store.close();
            store = null;
        }
    }

    @Override
    public void close() throws SQLException {
        reopen();
        if (database != null) {
            try (Connection c = DriverManager.getConnection(adminUrl()); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            }
        }
    }
}
