package io.gatehouse.store.audit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How a replica writes its audit chain.
 *
 * @param replicaId          this replica's chain, {@code [a-z0-9][a-z0-9-]*}, at most 64 characters
 * @param dataDirectory      the gateway's data directory: the key is kept in {@code audit/}, the spool in {@code spool/}
 * @param failurePolicy      what to do when the store fails
 * @param checkpointEvery    a signed checkpoint after this many events …
 * @param checkpointInterval … or after this long, whichever comes first (only when events were added)
 * @param queueCapacity      events waiting for the writer; when full, new exchanges are refused (503)
 * @param maxBatch           most events committed in one transaction
 * @param retryInterval      how often a failed store is probed and a spool drained
 */
public record AuditSettings(String replicaId, Path dataDirectory, FailurePolicy failurePolicy, int checkpointEvery,
                            Duration checkpointInterval, int queueCapacity, int maxBatch, Duration retryInterval) {

    public static final int DEFAULT_CHECKPOINT_EVERY = 1000;
    public static final Duration DEFAULT_CHECKPOINT_INTERVAL = Duration.ofSeconds(60);
    public static final int DEFAULT_QUEUE_CAPACITY = 10_000;
    public static final int DEFAULT_MAX_BATCH = 500;
    public static final Duration DEFAULT_RETRY_INTERVAL = Duration.ofSeconds(2);

    private static final Pattern REPLICA = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

    public AuditSettings {
        Objects.requireNonNull(replicaId, "replicaId");
        if (!isValidReplicaId(replicaId)) {
            throw new IllegalArgumentException("a replica id is lower-case letters, digits and '-', at most 64"
                    + " characters, got '" + replicaId + "'");
        }
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        Objects.requireNonNull(failurePolicy, "failurePolicy");
        if (checkpointEvery < 1) {
            throw new IllegalArgumentException("checkpointEvery must be at least 1, got " + checkpointEvery);
        }
        Objects.requireNonNull(checkpointInterval, "checkpointInterval");
        if (queueCapacity < 1 || maxBatch < 1) {
            throw new IllegalArgumentException("queueCapacity and maxBatch must be at least 1");
        }
        Objects.requireNonNull(retryInterval, "retryInterval");
    }

    /** Every default but the replica and the data directory. */
    public static AuditSettings defaults(String replicaId, Path dataDirectory) {
        return new AuditSettings(replicaId, dataDirectory, FailurePolicy.FAIL_CLOSED, DEFAULT_CHECKPOINT_EVERY,
                DEFAULT_CHECKPOINT_INTERVAL, DEFAULT_QUEUE_CAPACITY, DEFAULT_MAX_BATCH, DEFAULT_RETRY_INTERVAL);
    }

    public static boolean isValidReplicaId(String id) {
        return id != null && REPLICA.matcher(id).matches();
    }

    public AuditSettings withFailurePolicy(FailurePolicy policy) {
        return new AuditSettings(replicaId, dataDirectory, policy, checkpointEvery, checkpointInterval, queueCapacity,
                maxBatch, retryInterval);
    }

    public AuditSettings withCheckpoints(int every, Duration interval) {
        return new AuditSettings(replicaId, dataDirectory, failurePolicy, every, interval, queueCapacity, maxBatch,
                retryInterval);
    }

    public AuditSettings withRetryInterval(Duration interval) {
        return new AuditSettings(replicaId, dataDirectory, failurePolicy, checkpointEvery, checkpointInterval,
                queueCapacity, maxBatch, interval);
    }

    public AuditSettings withQueueCapacity(int capacity) {
        return new AuditSettings(replicaId, dataDirectory, failurePolicy, checkpointEvery, checkpointInterval, capacity,
                maxBatch, retryInterval);
    }

    public Path keyDirectory() {
        return dataDirectory.resolve("audit");
    }

    public Path spoolDirectory() {
        return dataDirectory.resolve("spool");
    }
}
