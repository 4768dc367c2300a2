package io.gatehouse.store;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How to reach the store.
 *
 * @param url      a JDBC URL: {@code jdbc:h2:file:...} (embedded, one node) or
 *                 {@code jdbc:postgresql://...} (several replicas)
 * @param username the database user, or null (H2's default)
 * @param password the database password, or null
 * @param poolSize connections in the pool (the audit writer holds one while it commits; queries
 *                 and the admin API share the others)
 */
public record StoreSettings(String url, String username, String password, int poolSize) {

    /** Pool size when config says nothing. */
    public static final int DEFAULT_POOL_SIZE = 4;

    public StoreSettings {
        Objects.requireNonNull(url, "url");
        if (!url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("store url must be a jdbc:h2: or jdbc:postgresql: URL, got '"
                    + redactedUrl(url) + "'");
        }
        if (poolSize < 2) {
            throw new IllegalArgumentException("store poolSize must be at least 2, got " + poolSize);
        }
    }

    /** The embedded default: an H2 file under {@code <dataDirectory>/store/}. */
    public static StoreSettings embedded(Path dataDirectory) {
        return new StoreSettings(defaultUrl(dataDirectory), null, null, DEFAULT_POOL_SIZE);
    }

    /** {@code jdbc:h2:file:<dataDirectory>/store/gatehouse}. */
    public static String defaultUrl(Path dataDirectory) {
        return "jdbc:h2:file:" + dataDirectory.toAbsolutePath().normalize().resolve("store").resolve("gatehouse");
    }

    public Dialect dialect() {
        return url.startsWith("jdbc:h2:") ? Dialect.H2 : Dialect.POSTGRESQL;
    }

    /** The URL without its query or H2 settings, which may carry a password: safe to log. */
    public static String redactedUrl(String url) {
        int cut = url.length();
        for (char c : new char[] {'?', ';'}) {
            int i = url.indexOf(c);
            if (i >= 0 && i < cut) {
                cut = i;
            }
        }
        return url.substring(0, cut);
    }

    @Override
    public String toString() {
        return "StoreSettings[url=" + redactedUrl(url) + ", username=" + username + ", password="
                + (password == null ? "none" : "redacted") + ", poolSize=" + poolSize + "]";
    }
}
