package io.gatehouse.processors.masking;

import java.util.Map;
import java.util.TreeMap;

/** How many values each detector masked. Not thread-safe: one per sequential body or text. */
final class MaskingCounts {

    private final Map<String, Integer> counts = new TreeMap<>();
    private int total;

    void add(String detector) {
        counts.merge(detector, 1, Integer::sum);
        total++;
    }

    int total() {
        return total;
    }

    /** An immutable copy, by detector id in alphabetical order. */
    Map<String, Integer> snapshot() {
        return java.util.Collections.unmodifiableMap(new TreeMap<>(counts));
    }
}
