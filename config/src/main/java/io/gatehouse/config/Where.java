package io.gatehouse.config;

import java.util.Map;

/**
 * What an error applies to, built while descending into a file: a fixed prefix such as
 * {@code endpoint 'chat' step 'limits'} and a field path such as {@code window.size} or
 * {@code rules[2].name}, rendered as {@code endpoint 'chat' step 'limits' field 'window.size'}.
 *
 * <p>Labels turn the entries of a top-level map into nouns: with {@code listeners -> listener}, an
 * error under {@code listeners.http.port} reads {@code listener 'http' field 'port'}.
 */
final class Where {

    private final String prefix;
    private final String path;
    private final Map<String, String> labels;

    private Where(String prefix, String path, Map<String, String> labels) {
        this.prefix = prefix;
        this.path = path;
        this.labels = labels;
    }

    static Where root(String prefix) {
        return new Where(prefix, "", Map.of());
    }

    static Where root(String prefix, Map<String, String> labels) {
        return new Where(prefix, "", labels);
    }

    Where field(String name) {
        return new Where(prefix, path.isEmpty() ? name : path + "." + name, labels);
    }

    Where index(int index) {
        return new Where(prefix, path + "[" + index + "]", labels);
    }

    /** The entry of a map under {@code key}; a labelled top-level map starts a new noun. */
    Where key(String key) {
        String label = labels.get(path);
        if (label != null) {
            return new Where(join(prefix, label + " '" + key + "'"), "", labels);
        }
        return field(key);
    }

    /** A narrower noun, e.g. {@code step 'limits'} after {@code endpoint 'chat'}; only at the root. */
    Where then(String noun) {
        if (!path.isEmpty()) {
            throw new IllegalStateException("a noun follows the root, not field " + path);
        }
        return new Where(join(prefix, noun), "", labels);
    }

    String text() {
        return path.isEmpty() ? prefix : join(prefix, "field '" + path + "'");
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : a + " " + b;
    }

    @Override
    public String toString() {
        return text();
    }
}
