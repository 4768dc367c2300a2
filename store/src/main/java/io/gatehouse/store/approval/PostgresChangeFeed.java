package io.gatehouse.store.approval;

import io.gatehouse.store.StoreSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hears the approval changes every replica announces with {@code NOTIFY gatehouse_approvals, '<id>'}:
 * one connection of its own (outside the pool) that {@code LISTEN}s, read by one daemon thread.
 * When the connection breaks it reconnects after a second; whatever was announced meanwhile is found
 * by the service's polling, so a lost notification only delays a release by one poll interval.
 */
final class PostgresChangeFeed implements AutoCloseable {

    static final String CHANNEL = "gatehouse_approvals";

    private static final Logger LOG = LoggerFactory.getLogger(PostgresChangeFeed.class);

    private final StoreSettings settings;
    private final Consumer<String> changed;
    private final Thread thread;
    private volatile boolean closed;
    private volatile Connection connection;
    private volatile boolean listening;

    PostgresChangeFeed(StoreSettings settings, Consumer<String> changed) {
        this.settings = settings;
        this.changed = changed;
        this.thread = new Thread(this::run, "gatehouse-approvals-listen");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** True while the LISTEN connection is up. */
    boolean listening() {
        return listening;
    }

    private void run() {
        while (!closed) {
            try (Connection c = connect()) {
                connection = c;
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + CHANNEL);
                }
                listening = true;
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!closed) {
                    PGNotification[] notifications = pg.getNotifications(500);
                    if (notifications == null) {
                        continue;
                    }
                    for (PGNotification n : notifications) {
                        try {
                            changed.accept(n.getParameter());
                        } catch (RuntimeException e) {
                            LOG.warn("approval change {} could not be handled", n.getParameter(), e);
                        }
                    }
                }
            } catch (SQLException | RuntimeException e) {
                listening = false;
                if (!closed) {
                    LOG.warn("approval notifications interrupted ({}); polling covers until the listener is back",
                            e.getMessage());
                    sleep(1000);
                }
            } finally {
                listening = false;
                connection = null;
            }
        }
    }

    private Connection connect() throws SQLException {
        Properties props = new Properties();
        if (settings.username() != null) {
            props.setProperty("user", settings.username());
        }
        if (settings.password() != null) {
            props.setProperty("password", settings.password());
        }
        props.setProperty("connectTimeout", "3");
        props.setProperty("tcpKeepAlive", "true");
        return DriverManager.getConnection(settings.url(), props);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing
            }
        }
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
