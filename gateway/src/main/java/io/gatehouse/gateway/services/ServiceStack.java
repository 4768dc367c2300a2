package io.gatehouse.gateway.services;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Services opened one after another, each maybe using the ones before it, and closed in the reverse
 * order: a service never outlives what it uses. When one cannot be opened, those already open are
 * closed before the failure is passed on. Used from one thread (start and shutdown).
 */
final class ServiceStack implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceStack.class);

    /** Opens one service. */
    @FunctionalInterface
    interface Opener<T> {
        T open() throws Exception;
    }

    private record Opened(String name, AutoCloseable service) {
    }

    private final Deque<Opened> opened = new ArrayDeque<>();

    /**
     * Opens a service and keeps it to be closed (before everything opened earlier).
     *
     * @param name what it is, for the log: {@code store}, {@code audit writer}, …
     * @return the open service
     * @throws RuntimeException what the opener threw (a checked exception wrapped in a
     *                          {@link ServiceOpeningException} naming the service), after closing every
     *                          service opened so far; close failures are attached as suppressed
     */
    <T extends AutoCloseable> T open(String name, Opener<T> opener) {
        Objects.requireNonNull(name, "name");
        T service;
        try {
            service = Objects.requireNonNull(opener.open(), () -> "opening the " + name + " returned null");
        } catch (RuntimeException | Error e) {
            closeAfter(name, e);
            throw e;
        } catch (Exception e) {
            ServiceOpeningException failure = new ServiceOpeningException(name, e);
            closeAfter(name, failure);
            throw failure;
        }
        opened.push(new Opened(name, service));
        return service;
    }

    /** Names of the open services, the latest first (the order they will be closed in). */
    java.util.List<String> names() {
        return opened.stream().map(Opened::name).toList();
    }

    /** Closes every open service, the latest first; a failure to close one is logged and the rest still close. */
    @Override
    public void close() {
        closeAll(null);
    }

    private void closeAfter(String name, Throwable failure) {
        LOG.error("the {} could not be opened; closing the {} service(s) already open", name, opened.size());
        closeAll(failure);
    }

    private void closeAll(Throwable cause) {
        while (!opened.isEmpty()) {
            Opened o = opened.pop();
            try {
                o.service().close();
            } catch (Exception e) {
                LOG.warn("the {} failed to close: {}", o.name(), e.toString());
                if (cause != null) {
                    cause.addSuppressed(e);
                }
            }
        }
    }

    /** A service could not be opened for a checked reason (an I/O error, …). */
    static final class ServiceOpeningException extends RuntimeException {
        ServiceOpeningException(String name, Exception cause) {
            super("cannot open the " + name + ": " + (cause.getMessage() == null ? cause.getClass().getSimpleName()
                    : cause.getMessage()), cause);
        }
    }
}
