package io.gatehouse.store;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Connections to the test database whose prepared statements throw a chosen {@link Throwable} from
 * {@code executeBatch} while a switch is on; everything else goes to the real driver.
 */
final class FailingBatches implements DataSource {

    private final StoreSettings settings;
    private final BooleanSupplier failing;
    private final Supplier<Throwable> failure;

    FailingBatches(StoreSettings settings, BooleanSupplier failing, Supplier<Throwable> failure) {
        this.settings = settings;
        this.failing = failing;
        this.failure = failure;
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection real = settings.username() == null ? DriverManager.getConnection(settings.url())
                : DriverManager.getConnection(settings.url(), settings.username(), settings.password());
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                forward((method, args) -> {
                    Object result = method.invoke(real, args);
                    return result instanceof PreparedStatement ps ? failingBatches(ps) : result;
                }));
    }

    private PreparedStatement failingBatches(PreparedStatement real) {
        return (PreparedStatement) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {PreparedStatement.class}, forward((method, args) -> {
                    if (method.getName().equals("executeBatch") && failing.getAsBoolean()) {
                        throw failure.get();
                    }
                    return method.invoke(real, args);
                }));
    }

    private interface Call {
        Object invoke(java.lang.reflect.Method method, Object[] args) throws Throwable;
    }

    private static InvocationHandler forward(Call call) {
        return (proxy, method, args) -> {
            try {
                return call.invoke(method, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
    }

    @Override
    public void setLoginTimeout(int seconds) {
    }

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return false;
    }
}
