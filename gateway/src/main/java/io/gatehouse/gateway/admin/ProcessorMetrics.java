package io.gatehouse.gateway.admin;

import io.gatehouse.spi.metrics.MetricNames;
import io.gatehouse.spi.metrics.Metrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.DoubleSupplier;

/**
 * The SPI's {@link Metrics} over the gateway's Micrometer registry (scraped at {@code /metrics}). One Micrometer
 * gauge per name and tags, whatever the number of live registrations behind it: Micrometer keeps the first gauge
 * of an id and ignores later ones, so the gauge reads this class's series, which follows registrations as
 * processors come and go on reloads, and is removed from the registry with the last one. Thread-safe.
 */
public final class ProcessorMetrics implements Metrics {

    private final MeterRegistry registry;
    private final Map<String, Series> series = new HashMap<>(); // guarded by this

    public ProcessorMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The live registrations of one name and tags; the largest number among them is the value. */
    private static final class Series {
        final List<DoubleSupplier> live = new CopyOnWriteArrayList<>();
        Gauge gauge;

        double value() {
            double max = Double.NaN;
            for (DoubleSupplier s : live) {
                double v = s.getAsDouble();
                if (!Double.isNaN(v) && (Double.isNaN(max) || v > max)) {
                    max = v;
                }
            }
            return max;
        }
    }

    @Override
    public synchronized Registration gauge(String name, String description, Map<String, String> tags,
                                           DoubleSupplier value) {
        MetricNames.check(name, tags);
        String key = name + new TreeMap<>(tags);
        Series s = series.computeIfAbsent(key, k -> new Series());
        if (s.gauge == null) {
            // A strong reference: the series is this class's, nothing else keeps it from the garbage collector.
            s.gauge = Gauge.builder(name, s, Series::value).description(description).tags(tags(tags))
                    .strongReference(true).register(registry);
        }
        DoubleSupplier mine = value::getAsDouble; // its own identity, even when one supplier is registered twice
        s.live.add(mine);
        AtomicBoolean closed = new AtomicBoolean();
        return () -> {
            if (closed.compareAndSet(false, true)) {
                release(key, s, mine);
            }
        };
    }

    private synchronized void release(String key, Series s, DoubleSupplier registration) {
        s.live.remove(registration);
        if (s.live.isEmpty()) {
            registry.remove(s.gauge);
            series.remove(key);
        }
    }

    @Override
    public Counter counter(String name, String description, Map<String, String> tags) {
        MetricNames.check(name, tags);
        // Micrometer's, not the SPI's Counter (which this class inherits the name of).
        io.micrometer.core.instrument.Counter counter = io.micrometer.core.instrument.Counter.builder(name).description(description).tags(tags(tags)).register(registry);
        return counter::increment;
    }

    private static Tags tags(Map<String, String> tags) {
        return Tags.of(tags.entrySet().stream().map(e -> Tag.of(e.getKey(), e.getValue())).toList());
    }
}
