package io.gatehouse.samplemodel;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How often each administrative operation reached the model (an Ollama pull or delete, a LoRA load, a
 * fine-tuning job…), so a test can see that an approved request was forwarded exactly once. Served at
 * {@code GET /debug/admin}.
 */
public final class AdminCounters {

    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

    void count(String operation) {
        counts.computeIfAbsent(operation, k -> new AtomicLong()).incrementAndGet();
    }

    /** How often {@code operation} (e.g. {@code ollama.pull}) reached the model. */
    public long get(String operation) {
        AtomicLong n = counts.get(operation);
        return n == null ? 0 : n.get();
    }

    Map<String, Object> toJson() {
        Map<String, Object> json = new TreeMap<>();
        counts.forEach((k, v) -> json.put(k, v.get()));
        return json;
    }
}
