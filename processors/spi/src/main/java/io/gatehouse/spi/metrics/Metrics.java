package io.gatehouse.spi.metrics;

import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * Gauges and counters a processor (or the state its factory shares) exports beside the gateway's own
 * metrics at {@code /metrics} on the admin port. The gateway offers it as a service
 * ({@code services.find(Metrics.class)}); where it is absent ({@code config validate}, a test harness without
 * it) a step works the same and exports nothing, so use {@link #none()} in its place.
 *
 * <p><b>Names.</b> Lower-case words joined by dots, prefixed by the plugin's own name (the built-ins use
 * {@code gatehouse.}); at least two words; the unit is the last word ({@code gatehouse.jwks.age.seconds}). Prometheus sees the dots
 * as underscores, and a counter gets {@code _total}: {@code gatehouse_jwks_age_seconds},
 * {@code gatehouse_jwks_fetches_total}. Tag keys are lower-case words joined by underscores; tag values
 * should come from config (a provider's name, an endpoint id), never from requests, so that the number of
 * series stays bounded — and never carry a secret.
 *
 * <p><b>Lifecycle.</b> A gauge belongs to whoever registered it and lives until its {@link Registration} is
 * closed: a processor registers in its factory's {@code create} and closes in {@code close()}, so a reload that
 * replaces it also replaces its gauges. Several live registrations of one name and tags (one per endpoint, or
 * the old and the new processor while a reload drains) are one series, which reports the largest of their
 * values (NaN values are ignored; NaN when all are). Counters are cumulative and stay for the life of the
 * process; the same name and tags give the same counter. Thread-safe; a gauge's supplier is called on the
 * scrape's thread and must answer at once from memory (never wait on I/O).
 */
public interface Metrics {

    /**
     * Registers a gauge read at each scrape.
     *
     * @param name        e.g. {@code gatehouse.jwks.age.seconds}
     * @param description one line for the {@code # HELP} of the series
     * @param tags        tag keys to values (may be empty)
     * @param value       the current value; {@link Double#NaN} when there is none yet
     * @throws IllegalArgumentException when the name or a tag key is not as described above
     */
    Registration gauge(String name, String description, Map<String, String> tags, DoubleSupplier value);

    /**
     * The counter of this name and tags, created at zero on first call (so it is exported before it first
     * counts).
     *
     * @throws IllegalArgumentException when the name or a tag key is not as described above
     */
    Counter counter(String name, String description, Map<String, String> tags);

    /** A monotonic count. */
    interface Counter {
        /** Adds {@code amount} (not negative). */
        void increment(double amount);

        default void increment() {
            increment(1);
        }
    }

    /** A gauge's registration; closing it again does nothing. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /** Exports nothing: where the gateway offers no metrics. */
    Metrics NONE = new Metrics() {
        @Override
        public Registration gauge(String name, String description, Map<String, String> tags, DoubleSupplier value) {
            MetricNames.check(name, tags);
            return () -> { };
        }

        @Override
        public Counter counter(String name, String description, Map<String, String> tags) {
            MetricNames.check(name, tags);
            return amount -> { };
        }
    };

    /** {@link #NONE}. */
    static Metrics none() {
        return NONE;
    }
}
