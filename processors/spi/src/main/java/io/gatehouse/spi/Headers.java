package io.gatehouse.spi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * HTTP headers: names are case-insensitive, a name may carry several values, insertion order is
 * kept. Not thread-safe: an exchange's headers are used by one step at a time.
 */
public final class Headers {

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    private record Entry(String name, List<String> values) {
    }

    private static String key(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    /** The first value of {@code name}, if present. */
    public Optional<String> first(String name) {
        Entry e = entries.get(key(name));
        return e == null || e.values.isEmpty() ? Optional.empty() : Optional.of(e.values.get(0));
    }

    /** All values of {@code name}; empty when absent. */
    public List<String> all(String name) {
        Entry e = entries.get(key(name));
        return e == null ? List.of() : Collections.unmodifiableList(e.values);
    }

    public boolean contains(String name) {
        return entries.containsKey(key(name));
    }

    /** Adds a value, keeping the existing ones. */
    public Headers add(String name, String value) {
        entries.computeIfAbsent(key(name), k -> new Entry(name, new ArrayList<>())).values.add(value);
        return this;
    }

    /** Replaces all values of {@code name} with one value. */
    public Headers set(String name, String value) {
        List<String> values = new ArrayList<>();
        values.add(value);
        entries.put(key(name), new Entry(name, values));
        return this;
    }

    /** Removes {@code name}; returns true when it was present. */
    public boolean remove(String name) {
        return entries.remove(key(name)) != null;
    }

    /** Removes every header whose name matches (the predicate sees the lower-cased name). */
    public void removeIf(Predicate<String> lowerCaseName) {
        entries.keySet().removeIf(lowerCaseName);
    }

    /** Header names as first written. */
    public Set<String> names() {
        Set<String> names = new java.util.LinkedHashSet<>();
        entries.values().forEach(e -> names.add(e.name));
        return names;
    }

    /** A copy as an ordered map of name to values. */
    public Map<String, List<String>> toMap() {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        entries.values().forEach(e -> copy.put(e.name, List.copyOf(e.values)));
        return copy;
    }

    /** Total size in bytes as written on the wire ({@code name: value\r\n} per value). */
    public long wireSize() {
        long size = 0;
        for (Entry e : entries.values()) {
            for (String v : e.values) {
                size += e.name.length() + 2 + v.length() + 2;
            }
        }
        return size;
    }

    @Override
    public String toString() {
        return "Headers" + names();
    }
}
