package io.gatehouse.spi.metrics;

import java.util.Map;
import java.util.regex.Pattern;

/** The rules of {@link Metrics} names and tag keys, checked the same wherever a metric is registered. */
public final class MetricNames {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]*(\\.[a-z0-9]+)+");
    private static final Pattern TAG_KEY = Pattern.compile("[a-z][a-z0-9]*(_[a-z0-9]+)*");

    private MetricNames() {
    }

    /**
     * Checks {@code name} and the keys of {@code tags}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static void check(String name, Map<String, String> tags) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("metric name '" + name + "' is not lower-case words joined by dots"
                    + " (at least two), e.g. myplugin.cache.size");
        }
        for (Map.Entry<String, String> tag : tags.entrySet()) {
            if (!TAG_KEY.matcher(tag.getKey()).matches()) {
                throw new IllegalArgumentException("tag key '" + tag.getKey() + "' of metric " + name
                        + " is not lower-case words joined by underscores");
            }
            if (tag.getValue() == null) {
                throw new IllegalArgumentException("tag '" + tag.getKey() + "' of metric " + name + " has no value");
            }
        }
    }
}
