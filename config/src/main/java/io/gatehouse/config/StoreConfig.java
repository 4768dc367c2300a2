package io.gatehouse.config;

import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Secret;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * The gateway's store ({@code store:} in {@code gateway.yaml}): recordings, approvals and shared
 * rate limits live there.
 *
 * <pre>{@code
 * store:
 *   url: jdbc:postgresql://db.internal:5432/gatehouse   # default: an H2 file under <dataDirectory>/store/
 *   username: gatehouse
 *   password: env:GATEHOUSE_DB_PASSWORD
 *   poolSize: 8
 *   onStoreFailure: fail-closed                         # or spool
 *   replicaId: gw-1                                     # default: generated once, kept in <dataDirectory>/audit/
 *   checkpointEvery: 1000
 *   checkpointInterval: 60s
 *   approvalPollInterval: 1s                            # fallback re-read of waited-on approvals
 * }</pre>
 *
 * @param url                a JDBC URL, {@code jdbc:h2:...} or {@code jdbc:postgresql:...}
 * @param username           the database user, or null
 * @param password           the database password (a secret reference), or null
 * @param poolSize           connections in the pool, 2 to 64; default 4
 * @param onStoreFailure     what happens to exchanges when the store cannot take their records
 * @param replicaId          this gateway's audit chain, or null to generate one
 * @param checkpointEvery    a signed audit checkpoint after this many records …
 * @param checkpointInterval … or after this long; default 1000 records or 60s
 * @param approvalPollInterval how often a replica re-reads the approvals its requests wait on, and so checks the
 *                           store, beside PostgreSQL's notifications (on H2, the only way another process's
 *                           decision arrives); 100ms to 1h, default 1s
 */
public record StoreConfig(String url, String username, Secret password, int poolSize, OnFailure onStoreFailure,
                          String replicaId, int checkpointEvery, Duration checkpointInterval,
                          Duration approvalPollInterval) {

    /** {@code fail-closed}: answer 503 and forward nothing; {@code spool}: record to a local file until the store is back. */
    public enum OnFailure { FAIL_CLOSED, SPOOL }

    public static final int DEFAULT_POOL_SIZE = 4;
    public static final int DEFAULT_CHECKPOINT_EVERY = 1000;
    public static final Duration DEFAULT_CHECKPOINT_INTERVAL = Duration.ofSeconds(60);
    public static final Duration DEFAULT_APPROVAL_POLL_INTERVAL = Duration.ofSeconds(1);

    private static final Pattern REPLICA = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

    public StoreConfig {
        Checks.required("url", url);
        if (!url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:postgresql:")) {
            throw new ConfigException("url", "value " + Nodes.quote(url.replaceAll("[?;].*", ""))
                    + " (expected: a jdbc:h2: or jdbc:postgresql: URL)");
        }
        if (poolSize < 2 || poolSize > 64) {
            throw new ConfigException("poolSize", "must be between 2 and 64, got " + poolSize);
        }
        Checks.required("onStoreFailure", onStoreFailure);
        if (replicaId != null && !REPLICA.matcher(replicaId).matches()) {
            throw new ConfigException("replicaId", "value " + Nodes.quote(replicaId)
                    + " (expected: lower-case letters, digits and '-', at most 64 characters)");
        }
        if (checkpointEvery < 1 || checkpointEvery > 1_000_000) {
            throw new ConfigException("checkpointEvery", "must be between 1 and 1000000, got " + checkpointEvery);
        }
        Checks.required("checkpointInterval", checkpointInterval);
        if (checkpointInterval.compareTo(Duration.ofSeconds(1)) < 0 || checkpointInterval.compareTo(Duration.ofDays(1)) > 0) {
            throw new ConfigException("checkpointInterval", "must be between 1s and 1d, got " + checkpointInterval);
        }
        Checks.required("approvalPollInterval", approvalPollInterval);
        if (approvalPollInterval.compareTo(Duration.ofMillis(100)) < 0
                || approvalPollInterval.compareTo(Duration.ofHours(1)) > 0) {
            throw new ConfigException("approvalPollInterval", "must be between 100ms and 1h, got "
                    + approvalPollInterval);
        }
    }

    /** With the default {@code approvalPollInterval}. */
    public StoreConfig(String url, String username, Secret password, int poolSize, OnFailure onStoreFailure,
                       String replicaId, int checkpointEvery, Duration checkpointInterval) {
        this(url, username, password, poolSize, onStoreFailure, replicaId, checkpointEvery, checkpointInterval,
                DEFAULT_APPROVAL_POLL_INTERVAL);
    }

    /** The embedded default: an H2 file under {@code <dataDirectory>/store/}, fail-closed. */
    public static StoreConfig defaults(Path dataDirectory) {
        return new StoreConfig(defaultUrl(dataDirectory), null, null, DEFAULT_POOL_SIZE, OnFailure.FAIL_CLOSED, null,
                DEFAULT_CHECKPOINT_EVERY, DEFAULT_CHECKPOINT_INTERVAL);
    }

    public static String defaultUrl(Path dataDirectory) {
        return "jdbc:h2:file:" + dataDirectory.toAbsolutePath().normalize().resolve("store").resolve("gatehouse");
    }

    @Override
    public String toString() {
        return "StoreConfig[url=" + url.replaceAll("[?;].*", "") + ", username=" + username + ", password=" + password
                + ", poolSize=" + poolSize + ", onStoreFailure=" + onStoreFailure + ", replicaId=" + replicaId
                + ", checkpointEvery=" + checkpointEvery + ", checkpointInterval=" + checkpointInterval
                + ", approvalPollInterval=" + approvalPollInterval + "]";
    }
}
