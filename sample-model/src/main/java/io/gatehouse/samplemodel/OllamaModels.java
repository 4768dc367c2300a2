package io.gatehouse.samplemodel;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The models an Ollama server has on disk (pulled, deleted) and in memory (loaded by a request, unloaded
 * by {@code keep_alive: 0}). Names are Ollama's: a name without a tag means {@code :latest}. Thread-safe.
 */
final class OllamaModels {

    /** One model on disk. */
    record Local(String name, String digest, long size, String modifiedAt) {
    }

    static final long SIZE = 1_234_567L;
    static final String KEEP_ALIVE = "5m";

    private final Map<String, Local> local = new TreeMap<>();
    private final Map<String, String> loaded = new TreeMap<>();

    OllamaModels(List<String> initial) {
        initial.forEach(this::add);
    }

    /** {@code demo-small} → {@code demo-small:latest}; a name with a tag stays as it is. */
    static String normalize(String name) {
        int slash = name.lastIndexOf('/');
        return name.indexOf(':', slash + 1) >= 0 ? name : name + ":latest";
    }

    static String now() {
        return OffsetDateTime.now(ZoneOffset.UTC).toString();
    }

    synchronized Local find(String name) {
        return local.get(normalize(name));
    }

    /** Adds (or refreshes) a model; true when it was not there before. */
    synchronized boolean add(String name) {
        String n = normalize(name);
        boolean added = !local.containsKey(n);
        local.put(n, new Local(n, "sha256:" + sha256(n), SIZE, now()));
        return added;
    }

    synchronized boolean delete(String name) {
        String n = normalize(name);
        loaded.remove(n);
        return local.remove(n) != null;
    }

    synchronized List<Local> list() {
        return List.copyOf(local.values());
    }

    /** Marks a model loaded until {@code keep_alive} from now (an expiry far away for a negative one). */
    synchronized void load(String name) {
        loaded.put(normalize(name), OffsetDateTime.now(ZoneOffset.UTC).plusMinutes(5).toString());
    }

    synchronized void unload(String name) {
        loaded.remove(normalize(name));
    }

    /** Loaded models with their expiry. */
    synchronized Map<String, String> loaded() {
        return Map.copyOf(loaded);
    }

    static Map<String, Object> details() {
        return Json.object("parent_model", "", "format", "gguf", "family", "echo", "families", List.of("echo"),
                "parameter_size", "1M", "quantization_level", "F16");
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
