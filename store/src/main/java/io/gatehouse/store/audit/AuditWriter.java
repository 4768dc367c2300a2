package io.gatehouse.store.audit;

import io.gatehouse.store.Dialect;
import io.gatehouse.store.Store;
import io.gatehouse.store.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replica's audit writer: one thread drains a bounded queue and commits many events per
 * transaction (group commit), so durability costs one flush per batch, not per request. Each
 * appender's future completes once its batch is durable — committed and forced to disk, or under
 * the {@code spool} policy fsync'd into the local spool — by a task on the appender's event loop when
 * it named one, else on a small pool of its own, so that the pipeline continuing from it never runs
 * on (and never stalls) the writer.
 *
 * <p>The writer alone places events in the chain (seq, previous hash), signs checkpoints every
 * {@link AuditSettings#checkpointEvery()} events or {@link AuditSettings#checkpointInterval()}, and
 * at close. On start it drains a spool left by a previous run, closes its own dangling starts as
 * {@code incomplete}, logs what it did as a {@code system} event and seals that with a checkpoint.
 */
public final class AuditWriter implements AuditTrail, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditWriter.class);
    private static final long RETENTION_PERIOD_NANOS = TimeUnit.HOURS.toNanos(1);
    private static final int DRAIN_CHUNK = 1000;
    /** How often the journal is folded into H2 (one CHECKPOINT SYNC) and cleared. */
    private static final long JOURNAL_SYNC_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** An event waiting to be durable; {@code completeOn} is the appender's event loop, or null for the ack pool. */
    private record Pending(EventDraft draft, CompletableFuture<Void> done, Executor completeOn) {
        Pending(EventDraft draft, CompletableFuture<Void> done) {
            this(draft, done, null);
        }
    }

    /** Work for the writer thread itself, run in queue order. */
    private record Control(Runnable action, CompletableFuture<Void> done) {
    }

    private final Store store;
    private final AuditSettings settings;
    private final AuditKey key;
    private final Clock clock;
    private final Spool spool;
    /**
     * H2 only: batches are acknowledged once fsync'd here (one sequential append), and H2 is made
     * durable ({@code CHECKPOINT SYNC}) about once per {@link #JOURNAL_SYNC_NANOS} instead of once per
     * batch; then the journal is cleared. After a crash the journal is drained into the store at start
     * (events the store already holds are skipped), so nothing acknowledged is lost. PostgreSQL's
     * commit is durable by itself and needs no journal.
     */
    private final Spool journal;
    private final boolean journaled;
    private boolean journalDirty;
    private long lastJournalSyncNanos = System.nanoTime();
    /**
     * Folds sealed journals into H2 off the writer thread: {@code CHECKPOINT SYNC} takes milliseconds,
     * and the writer must keep committing (and acknowledging) meanwhile.
     */
    private final ExecutorService syncer;
    private java.util.concurrent.Future<?> syncing = CompletableFuture.completedFuture(null);
    private final java.util.Deque<Path> sealedJournals = new java.util.concurrent.ConcurrentLinkedDeque<>();
    private long sealIndex;
    private final BlockingQueue<Object> queue;
    private final ExecutorService acks;
    private final Thread thread;
    private final Map<String, Duration> retention = new ConcurrentHashMap<>();
    private volatile boolean closing;
    /** Set when the writer thread has stopped, for whatever reason: appends then fail instead of waiting forever. */
    private volatile boolean stopped;

    // Writer-thread state (confined; handed over by Thread.start).
    private long headSeq;
    private String headHash = Hashes.GENESIS;
    private boolean headDirty;
    /** Why the store last refused a batch: recovery tells a key entry a crash left from other failures. */
    private Exception lastStoreFailure;
    /** Whether this run rebuilt the audit keys already ({@link OrphanedKeys}); a second rebuild cannot help. */
    private boolean keysRebuilt;
    private long checkpointNo;
    private String checkpointDigest = Hashes.GENESIS;
    private long checkpointSeq;
    private long sinceCheckpoint;
    private long lastCheckpointNanos = System.nanoTime();
    private boolean spooling;
    private boolean broken;
    private long nextRetryNanos;
    private long nextRetentionNanos = System.nanoTime();

    private volatile AuditHealth.State state = AuditHealth.State.OK;
    private volatile String detail;
    private final AtomicLong committed = new AtomicLong();
    private final AtomicLong spooled = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    /**
     * Time the writer thread spent working (a batch, from taking it to its acknowledgements queued, and the
     * housekeeping after it: checkpoints, retention, store probes), on store
     * commits and on journal appends with their {@code fdatasync}, in nanoseconds. The writer is one
     * thread that every recorded exchange waits on twice, so its busy share is what its queueing grows
     * with: at a fixed rate, a writer busy most of the time makes the exchanges' p99 wait (bench/README.md,
     * run 15).
     */
    private final AtomicLong busyNanos = new AtomicLong();
    private final AtomicLong storeNanos = new AtomicLong();
    private final AtomicLong journalNanos = new AtomicLong();

    private AuditWriter(Store store, AuditSettings settings, AuditKey key, Clock clock) {
        this.store = store;
        this.settings = settings;
        this.key = key;
        this.clock = clock;
        this.spool = new Spool(settings.spoolDirectory(), settings.replicaId());
        this.journal = Spool.journal(settings.spoolDirectory(), settings.replicaId());
        this.journaled = store.dialect() == Dialect.H2;
        this.syncer = Executors.newSingleThreadExecutor(daemonThreads("gatehouse-audit-sync-"));
        this.queue = new ArrayBlockingQueue<>(settings.queueCapacity());
        this.acks = Executors.newFixedThreadPool(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()),
                daemonThreads("gatehouse-audit-ack-"));
        this.thread = new Thread(this::run, "gatehouse-audit-writer-" + settings.replicaId());
        this.thread.setDaemon(true);
    }

    /**
     * Loads (or creates) the replica's key, recovers what a previous run left (spool, dangling
     * starts), seals it with a checkpoint and starts the writer thread.
     *
     * @throws StoreException when the store cannot be read at start
     * @throws IOException    when the key or the spool cannot be read
     */
    public static AuditWriter start(Store store, AuditSettings settings, Clock clock) throws IOException {
        AuditKey key = AuditKey.loadOrCreate(settings.keyDirectory());
        AuditWriter writer = new AuditWriter(store, settings, key, clock);
        writer.recover();
        writer.thread.start();
        LOG.info("audit trail of replica {} at seq {} (key {}, {} on store failure)", settings.replicaId(),
                writer.headSeq, key.keyId(), settings.failurePolicy().name().toLowerCase().replace('_', '-'));
        return writer;
    }

    // ---- the public side (any thread) ----

    @Override
    public CompletableFuture<Void> append(EventDraft event) {
        return enqueue(event, null);
    }

    @Override
    public CompletableFuture<Void> append(EventDraft event, Executor completeOn) {
        return enqueue(event, Objects.requireNonNull(completeOn, "completeOn"));
    }

    private CompletableFuture<Void> enqueue(EventDraft event, Executor completeOn) {
        if (closing || stopped) {
            return CompletableFuture.failedFuture(new StoreException(stopped && !closing
                    ? "the audit writer has stopped (see the log); restart the gateway" : "the audit trail is closed"));
        }
        Pending pending = new Pending(event, new CompletableFuture<>(), completeOn);
        if (!queue.offer(pending)) {
            rejected.incrementAndGet();
            return CompletableFuture.failedFuture(new StoreException("the audit queue is full ("
                    + settings.queueCapacity() + " events waiting): the store does not keep up"));
        }
        return pending.done;
    }

    @Override
    public void retain(String endpointId, Duration retention) {
        this.retention.put(endpointId, retention);
    }

    @Override
    public String replicaId() {
        return settings.replicaId();
    }

    public AuditKey key() {
        return key;
    }

    public AuditSettings settings() {
        return settings;
    }

    @Override
    public AuditHealth health() {
        return new AuditHealth(state, detail, queue.size(), committed.get(), spooled.get(), failed.get(),
                rejected.get(), batches.get());
    }

    /** Nanoseconds the writer thread has spent on batches and housekeeping since it started (its busy time). */
    public long busyNanos() {
        return busyNanos.get();
    }

    /** Nanoseconds spent committing batches to the store (on H2 without forcing it: the journal makes them durable). */
    public long storeNanos() {
        return storeNanos.get();
    }

    /** Nanoseconds spent appending batches to H2's journal, each append with its {@code fdatasync}; 0 on PostgreSQL. */
    public long journalNanos() {
        return journalNanos.get();
    }

    /** Completes once everything appended before it is durable (or failed). */
    public CompletableFuture<Void> flush() {
        return control(() -> { });
    }

    /** Signs a checkpoint of the current head now (when events were added since the last one). */
    public CompletableFuture<Void> checkpointNow() {
        return control(this::checkpointIfNeeded);
    }

    /** Applies retention now instead of at the next hourly pass. */
    public CompletableFuture<Void> runRetentionNow() {
        return control(this::applyRetention);
    }

    private CompletableFuture<Void> control(Runnable action) {
        Control c = new Control(action, new CompletableFuture<>());
        if (closing) {
            return CompletableFuture.failedFuture(new StoreException("the audit trail is closed"));
        }
        try {
            queue.put(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(e);
        }
        return c.done;
    }

    /** Writes what is queued, signs a last checkpoint and stops. Appends after this fail. */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Object> left = new ArrayList<>();
        queue.drainTo(left);
        StoreException closed = new StoreException("the audit trail is closed");
        for (Object item : left) {
            if (item instanceof Pending p) {
                p.done.completeExceptionally(closed);
            } else if (item instanceof Control c) {
                c.done.completeExceptionally(closed);
            }
        }
        acks.shutdown();
        try {
            acks.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- start-up ----

    private void recover() throws IOException {
        Spool.Contents leftover = spool.read();
        long nowMicros = EventDraft.micros(clock.instant());
        List<AuditRepository.Dangling> dangling;
        try (Connection c = store.connection()) {
            if (store.dialect() == Dialect.H2) {
                OrphanedKeys.restoreIfMissing(c); // a crash between dropping a key and adding it again
            }
            AuditRepository.registerKey(c, settings.replicaId(), key, nowMicros);
            loadHead(c);
            int recovered = 0;
            List<Path> sealedBefore = journal.sealedFiles();
            for (Path sealed : sealedBefore) {
                Spool.Contents contents = Spool.at(sealed).read();
                drainRepairing(c, contents);
                recovered += contents.events().size();
            }
            Spool.Contents journaledBefore = journal.read();
            if (!journaledBefore.isEmpty()) {
                drainRepairing(c, journaledBefore);
                recovered += journaledBefore.events().size();
            }
            if (!sealedBefore.isEmpty() || !journaledBefore.isEmpty()) {
                for (Path sealed : sealedBefore) {
                    Files.deleteIfExists(sealed);
                }
                journal.clear();
                loadHead(c);
                LOG.info("replica {}: recovered {} journaled audit events (the store held the rest)",
                        settings.replicaId(), recovered);
            }
            if (!leftover.isEmpty()) {
                drainRepairing(c, leftover);
                spool.clear();
                loadHead(c);
                LOG.info("drained {} spooled audit events of replica {} into the store", leftover.events().size(),
                        settings.replicaId());
            }
            dangling = AuditRepository.danglingStarts(c, settings.replicaId());
        } catch (SQLException e) {
            throw new StoreException("cannot read the audit trail of replica " + settings.replicaId() + ": "
                    + Store.rootMessage(e), e);
        }
        Instant now = clock.instant();
        List<Pending> recovery = new ArrayList<>();
        for (AuditRepository.Dangling d : dangling) {
            com.fasterxml.jackson.databind.node.ObjectNode payload = CanonicalJson.object();
            payload.put("outcome", "incomplete").put("decision", "incomplete").put("complete", false)
                    .put("reason", "the gateway stopped before this exchange ended; closed when replica "
                            + settings.replicaId() + " restarted");
            recovery.add(new Pending(EventDraft.of(EventType.END, d.recordId(), now, d.endpointId(), payload),
                    new CompletableFuture<>()));
        }
        com.fasterxml.jackson.databind.node.ObjectNode started = CanonicalJson.object();
        started.put("action", "started").put("closedIncomplete", dangling.size())
                .put("spoolRecovered", leftover.events().size()).put("spoolTornBytes", leftover.tornBytes())
                .put("keyId", key.keyId());
        recovery.add(new Pending(EventDraft.of(EventType.SYSTEM, "system-" + UUID.randomUUID(), now, "gateway",
                started), new CompletableFuture<>()));
        for (int i = 0; i < recovery.size(); i += settings.maxBatch()) {
            List<Pending> chunk = recovery.subList(i, Math.min(recovery.size(), i + settings.maxBatch()));
            if (!writeEvents(chunk) && !(repairedKeysAfter(lastStoreFailure) && writeEvents(chunk))) {
                throw new StoreException("cannot write the audit trail of replica " + settings.replicaId()
                        + " at start: " + detail);
            }
        }
        if (!dangling.isEmpty()) {
            LOG.warn("replica {}: {} exchange(s) had started but not ended when the gateway last stopped; recorded"
                    + " as incomplete", settings.replicaId(), dangling.size());
        }
        if (leftover.tornBytes() > 0) {
            LOG.warn("replica {}: cut a torn tail of {} bytes off the audit spool (never acknowledged)",
                    settings.replicaId(), leftover.tornBytes());
        }
        checkpointIfNeeded();
    }

    private void loadHead(Connection c) throws SQLException {
        // Only this writer appends to its chain and a failed commit can only have added to it, so the head is
        // at or after the one known; after a store failure this runs per batch and must not read the chain whole.
        Optional<AuditRepository.Head> head = AuditRepository.head(c, settings.replicaId(), headSeq);
        headSeq = head.map(AuditRepository.Head::seq).orElse(0L);
        headHash = head.map(AuditRepository.Head::hash).orElse(Hashes.GENESIS);
        Optional<Checkpoint> last = AuditRepository.lastCheckpoint(c, settings.replicaId(), checkpointNo);
        checkpointNo = last.map(Checkpoint::number).orElse(0L);
        checkpointDigest = last.map(Checkpoint::digest).orElse(Hashes.GENESIS);
        checkpointSeq = last.map(Checkpoint::chainSeq).orElse(0L);
        sinceCheckpoint = headSeq - checkpointSeq;
        headDirty = false;
    }

    /**
     * {@link #drain} of a journal or spool: on H2 an insert that meets a key entry a crash left
     * ({@link OrphanedKeys}) rebuilds the keys and drains once more; a second failure is a StoreException
     * saying what to do (at start, the gateway does not start).
     */
    private void drainRepairing(Connection c, Spool.Contents contents) throws SQLException {
        try {
            drain(c, contents);
        } catch (SQLException e) {
            if (!repairedKeysAfter(e)) {
                throw e;
            }
            try {
                drain(c, contents);
            } catch (SQLException again) {
                throw new StoreException("cannot recover the audit trail of replica " + settings.replicaId() + ": "
                        + Store.rootMessage(again) + "; the H2 store is still inconsistent after rebuilding its keys:"
                        + " keep a copy of the data directory, run `gatehouse audit verify`, and restore the store"
                        + " from a backup if it fails", again);
            }
            LOG.info("replica {}: keys rebuilt; {} events drained", settings.replicaId(), contents.events().size());
        }
    }

    /**
     * On H2, when {@code failure} is an insert meeting a key entry a crash left ({@link OrphanedKeys}), rebuilds
     * the audit tables' keys and says so; true when it did (the caller then tries once more).
     */
    private boolean repairedKeysAfter(Exception failure) {
        if (keysRebuilt || store.dialect() != Dialect.H2 || !(failure instanceof SQLException sql)
                || !OrphanedKeys.blocked(sql)) {
            return false;
        }
        keysRebuilt = true; // once per run: a crash leaves such entries behind; a rebuild removes them all
        LOG.warn("replica {}: H2 kept a key entry of a write that the last crash tore ({}); rebuilding the audit"
                + " tables' keys and writing again", settings.replicaId(), Store.rootMessage(failure));
        try (Connection c = store.connection()) {
            OrphanedKeys.rebuild(c);
            headDirty = true;
            return true;
        } catch (SQLException e) {
            LOG.error("replica {}: cannot rebuild the audit tables' keys: {}", settings.replicaId(),
                    Store.rootMessage(e));
            return false;
        }
    }

    /** Inserts the spool's events and checkpoints the store lacks; identical ones already there are skipped. */
    private void drain(Connection c, Spool.Contents contents) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            long storeSeq = AuditRepository.head(c, settings.replicaId()).map(AuditRepository.Head::seq).orElse(0L);
            long storeCheckpoint = AuditRepository.lastCheckpoint(c, settings.replicaId()).map(Checkpoint::number)
                    .orElse(0L);
            List<AuditEvent> chunk = new ArrayList<>();
            for (AuditEvent e : contents.events()) {
                if (e.seq() <= storeSeq) {
                    Optional<String> there = AuditRepository.hashAt(c, settings.replicaId(), e.seq());
                    if (there.isPresent()) {
                        if (!there.get().equals(e.hash())) {
                            throw new SQLException("the spool and the store disagree at seq " + e.seq() + " of replica "
                                    + settings.replicaId() + " (is another gateway using this replica id?)");
                        }
                        continue;
                    }
                }
                chunk.add(e);
                if (chunk.size() == DRAIN_CHUNK) {
                    AuditRepository.insertEvents(c, chunk);
                    c.commit();
                    chunk.clear();
                }
            }
            AuditRepository.insertEvents(c, chunk);
            for (Checkpoint cp : contents.checkpoints()) {
                if (cp.number() > storeCheckpoint) {
                    AuditRepository.insertCheckpoint(c, cp);
                }
            }
            c.commit();
            store.forceDurable(c);
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly(c);
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    // ---- the writer thread ----

    private void run() {
        try {
            writeUntilClosed();
        } finally {
            // Whatever ended the thread, nothing may wait for it: what is queued fails, and later appends fail
            // at once (see append).
            stopped = true;
            failQueued(new StoreException(closing ? "the audit trail is closed"
                    : "the audit writer has stopped (see the log); restart the gateway"));
        }
    }

    private void failQueued(StoreException error) {
        List<Object> left = new ArrayList<>();
        queue.drainTo(left);
        for (Object item : left) {
            if (item instanceof Pending p) {
                failed.incrementAndGet();
                p.done.completeExceptionally(error);
            } else if (item instanceof Control c) {
                c.done.completeExceptionally(error);
            }
        }
    }

    private void writeUntilClosed() {
        List<Object> items = new ArrayList<>(settings.maxBatch());
        while (true) {
            Object first;
            try {
                first = queue.poll(waitNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                break;
            }
            long began = System.nanoTime();
            if (first != null) {
                items.add(first);
                queue.drainTo(items, settings.maxBatch() - 1);
                try {
                    process(items);
                } catch (RuntimeException | LinkageError | AssertionError e) {
                    // Never let the writer thread die: every later append would wait forever. What was not
                    // acknowledged fails (the exchanges are refused), the head is read again, and the store
                    // is probed as after any failure.
                    LOG.error("audit writer failed on a batch; refusing it and probing the store", e);
                    headDirty = true;
                    state = AuditHealth.State.FAILED;
                    detail = "the audit writer failed (" + e + ")";
                    nextRetryNanos = System.nanoTime() + settings.retryInterval().toNanos();
                    StoreException error = new StoreException(detail, e);
                    for (Object item : items) {
                        if (item instanceof Pending p && !p.done.isDone()) {
                            failed.incrementAndGet();
                            acks.execute(() -> p.done.completeExceptionally(error));
                        } else if (item instanceof Control c && !c.done.isDone()) {
                            acks.execute(() -> c.done.completeExceptionally(error));
                        }
                    }
                }
                items.clear();
            }
            try {
                housekeeping();
            } catch (RuntimeException | LinkageError | AssertionError e) {
                LOG.error("audit housekeeping failed", e);
            }
            // Housekeeping counts too: its checkpoints, retention events and store probes commit on this thread.
            busyNanos.addAndGet(System.nanoTime() - began);
            if (closing && queue.isEmpty()) {
                break;
            }
        }
        try {
            if (spooling && !broken) {
                // A stop after the store came back, before the next retry: drain now rather than at the next start.
                tryDrain();
                if (spooling) {
                    LOG.info("replica {}: the audit spool {} is drained at the next start", settings.replicaId(),
                            spool.file());
                }
            }
            checkpointIfNeeded();
            finalSync();
            journal.close();
            spool.close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("closing the audit trail: {}", e.toString());
        }
    }

    private long waitNanos() {
        if (closing) {
            return TimeUnit.MILLISECONDS.toNanos(10);
        }
        return TimeUnit.MILLISECONDS.toNanos(200);
    }

    private void process(List<Object> items) {
        List<Pending> batch = new ArrayList<>(items.size());
        for (Object item : items) {
            if (item instanceof Pending p) {
                batch.add(p);
            } else if (item instanceof Control c) {
                if (!batch.isEmpty()) {
                    writeEvents(batch);
                    batch = new ArrayList<>();
                }
                try {
                    c.action.run();
                    acks.execute(() -> c.done.complete(null));
                } catch (RuntimeException e) {
                    acks.execute(() -> c.done.completeExceptionally(e));
                }
            }
        }
        if (!batch.isEmpty()) {
            writeEvents(batch);
        }
    }

    /** Places the batch in the chain and makes it durable; true when it is (store or spool). */
    private boolean writeEvents(List<Pending> batch) {
        if (broken) {
            failAll(batch, new StoreException(detail));
            return false;
        }
        if (!spooling && headDirty) {
            try (Connection c = store.connection()) {
                loadHead(c);
            } catch (SQLException | RuntimeException e) {
                return storeFailed(batch, e);
            }
        }
        List<AuditEvent> rows = new ArrayList<>(batch.size());
        long seq = headSeq;
        String prev = headHash;
        for (Pending p : batch) {
            AuditEvent e = p.draft.place(settings.replicaId(), ++seq, prev);
            rows.add(e);
            prev = e.hash();
        }
        Checkpoint cp = sinceCheckpoint + rows.size() >= settings.checkpointEvery() ? sign(seq, prev) : null;
        if (!spooling) {
            long began = System.nanoTime();
            try {
                commit(rows, cp, !journaled);
            } catch (SQLException | RuntimeException e) {
                if (settings.failurePolicy() == FailurePolicy.FAIL_CLOSED) {
                    return storeFailed(batch, e);
                }
                headDirty = true;
                spooling = true;
                state = AuditHealth.State.SPOOLING;
                detail = "the store failed (" + describe(e) + "); recording to the local spool " + spool.file();
                nextRetryNanos = System.nanoTime() + settings.retryInterval().toNanos();
                LOG.error("audit store failed; spooling to {}: {}", spool.file(), describe(e));
            } finally {
                storeNanos.addAndGet(System.nanoTime() - began);
            }
        }
        if (!spooling) {
            if (journaled) {
                long began = System.nanoTime();
                try {
                    journal.append(rows, cp);
                    journalDirty = true;
                } catch (IOException e) {
                    return journalFailed(batch, e);
                } finally {
                    journalNanos.addAndGet(System.nanoTime() - began);
                }
            }
            durable(batch, rows, cp, true);
            return true;
        }
        try {
            spool.append(rows, cp);
            durable(batch, rows, cp, false);
            return true;
        } catch (IOException e) {
            // Like PostgreSQL after a failed fsync: what the kernel kept is not to be trusted; stop.
            broken = true;
            state = AuditHealth.State.FAILED;
            detail = "the audit spool cannot be written (" + e.getMessage() + "); restart the gateway once "
                    + spool.file().getParent() + " is writable";
            LOG.error("audit spool failed: {}", e.toString());
            failAll(batch, new StoreException(detail, e));
            return false;
        }
    }

    private boolean storeFailed(List<Pending> batch, Exception e) {
        lastStoreFailure = e;
        headDirty = true;
        state = AuditHealth.State.FAILED;
        detail = "the store cannot take records (" + describe(e) + ")";
        nextRetryNanos = System.nanoTime() + settings.retryInterval().toNanos();
        LOG.error("audit store failed; refusing exchanges (fail-closed): {}", describe(e));
        failAll(batch, new StoreException(detail, e));
        return false;
    }

    private String describe(Exception e) {
        String message = Store.rootMessage(e);
        if (e instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("23")) {
            message += "; is another gateway running with replica id " + settings.replicaId() + "?";
        }
        return message;
    }

    private boolean journalFailed(List<Pending> batch, IOException e) {
        broken = true;
        state = AuditHealth.State.FAILED;
        detail = "the audit journal cannot be written (" + e.getMessage() + "); restart the gateway once "
                + journal.file().getParent() + " is writable";
        LOG.error("audit journal failed: {}", e.toString());
        failAll(batch, new StoreException(detail, e));
        return false;
    }

    /** A forced commit made everything committed so far durable: the journal has nothing left to keep. */
    private void forcedEverything() {
        if (!journalDirty) {
            return;
        }
        try {
            journal.clear();
            journalDirty = false;
            lastJournalSyncNanos = System.nanoTime();
        } catch (IOException e) {
            LOG.warn("cannot clear the audit journal (it is drained at start): {}", e.toString());
        }
    }

    /**
     * Seals the journal (the next batches go to a new one) and has the syncer make H2 durable up to
     * everything in it, then delete it. Writer thread only; at most one sync runs at a time.
     */
    private void syncJournal() {
        if (!journalDirty || broken || spooling || !syncing.isDone()) {
            return;
        }
        Path sealed;
        try {
            sealed = journal.seal(sealIndex++);
        } catch (IOException e) {
            LOG.warn("cannot seal the audit journal (it stays, and is drained at start): {}", e.toString());
            lastJournalSyncNanos = System.nanoTime();
            return;
        }
        journalDirty = false;
        lastJournalSyncNanos = System.nanoTime();
        if (sealed == null) {
            return;
        }
        sealedJournals.add(sealed);
        List<Path> covered = List.copyOf(sealedJournals);
        syncing = syncer.submit(() -> {
            // Everything in the sealed files was committed before they were sealed, so this sync covers it.
            try (Connection c = store.connection()) {
                store.forceDurable(c);
                for (Path p : covered) {
                    journal.recycle(p); // the next journal writes over it (or it is deleted)
                    sealedJournals.remove(p);
                }
            } catch (SQLException | IOException | RuntimeException e) {
                LOG.warn("cannot fold the audit journal into the store yet (it stays, and is drained at start): {}",
                        e.toString());
            }
        });
    }

    /** At close: waits for a running sync, then folds what is left, on this thread. */
    private void finalSync() {
        try {
            syncing.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("waiting for the audit journal sync: {}", e.toString());
        }
        syncer.shutdown();
        if ((!journalDirty && sealedJournals.isEmpty()) || broken || spooling) {
            return;
        }
        try (Connection c = store.connection()) {
            store.forceDurable(c);
            journal.clear();
            journalDirty = false;
            for (Path p : List.copyOf(sealedJournals)) {
                Files.deleteIfExists(p);
                sealedJournals.remove(p);
            }
        } catch (SQLException | IOException | RuntimeException e) {
            LOG.warn("cannot fold the audit journal into the store (it stays, and is drained at start): {}",
                    e.toString());
        }
    }

    private void commit(List<AuditEvent> rows, Checkpoint cp, boolean force) throws SQLException {
        try (Connection c = store.connection()) {
            c.setAutoCommit(false);
            try {
                if (!rows.isEmpty()) {
                    AuditRepository.insertEvents(c, rows);
                }
                if (cp != null) {
                    AuditRepository.insertCheckpoint(c, cp);
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
            if (force) {
                store.forceDurable(c);
            }
        }
    }

    private void durable(List<Pending> batch, List<AuditEvent> rows, Checkpoint cp, boolean inStore) {
        if (!rows.isEmpty()) {
            AuditEvent last = rows.get(rows.size() - 1);
            headSeq = last.seq();
            headHash = last.hash();
            sinceCheckpoint += rows.size();
        }
        if (cp != null) {
            sealed(cp);
        }
        batches.incrementAndGet();
        if (inStore) {
            committed.addAndGet(rows.size());
            if (state == AuditHealth.State.FAILED && !broken) {
                state = AuditHealth.State.OK;
                detail = null;
                LOG.info("audit store is back; accepting exchanges again");
            }
        } else {
            spooled.addAndGet(rows.size());
        }
        settle(batch, null);
    }

    private void failAll(List<Pending> batch, StoreException error) {
        failed.addAndGet(batch.size());
        settle(batch, error);
    }

    /**
     * Completes a batch's futures, never on this thread (an appender's continuation must not hold the
     * writer): those whose appenders named an event loop by one task queued on each loop, which saves the
     * wake-up of an ack thread and a second hand-off per event; the rest by one task on the ack pool.
     * Either way a batch of fifty costs the writer a queue offer per loop, not per event: at full load the
     * writer is the one thread every exchange waits on.
     */
    private void settle(List<Pending> batch, Throwable error) {
        List<Pending> viaPool = new ArrayList<>();
        Map<Executor, List<Pending>> byLoop = new java.util.IdentityHashMap<>();
        for (Pending p : batch) {
            if (p.completeOn == null) {
                viaPool.add(p);
            } else {
                byLoop.computeIfAbsent(p.completeOn, loop -> new ArrayList<>()).add(p);
            }
        }
        byLoop.forEach((loop, pendings) -> {
            try {
                loop.execute(() -> pendings.forEach(p -> complete(p, error)));
            } catch (RejectedExecutionException refused) {
                viaPool.addAll(pendings); // the loop is shutting down
            }
        });
        if (!viaPool.isEmpty()) {
            acks.execute(() -> viaPool.forEach(p -> complete(p, error)));
        }
    }

    private static void complete(Pending p, Throwable error) {
        if (error == null) {
            p.done.complete(null);
        } else {
            p.done.completeExceptionally(error);
        }
    }

    private Checkpoint sign(long chainSeq, String chainHash) {
        return Checkpoint.sign(key, settings.replicaId(), checkpointNo + 1, chainSeq, chainHash,
                EventDraft.micros(clock.instant()), checkpointDigest);
    }

    private void sealed(Checkpoint cp) {
        checkpointNo = cp.number();
        checkpointDigest = cp.digest();
        checkpointSeq = cp.chainSeq();
        sinceCheckpoint = headSeq - cp.chainSeq();
        lastCheckpointNanos = System.nanoTime();
    }

    private void checkpointIfNeeded() {
        if (sinceCheckpoint == 0 || broken) {
            return;
        }
        Checkpoint cp = sign(headSeq, headHash);
        if (!spooling) {
            try {
                commit(List.of(), cp, true);
                sealed(cp);
                forcedEverything();
                return;
            } catch (SQLException | RuntimeException e) {
                if (settings.failurePolicy() == FailurePolicy.FAIL_CLOSED) {
                    LOG.warn("cannot write an audit checkpoint now: {}", describe(e));
                    return;
                }
                spooling = true;
                state = AuditHealth.State.SPOOLING;
                detail = "the store failed (" + describe(e) + "); recording to the local spool " + spool.file();
                nextRetryNanos = System.nanoTime() + settings.retryInterval().toNanos();
            }
        }
        try {
            spool.append(List.of(), cp);
            sealed(cp);
        } catch (IOException e) {
            LOG.warn("cannot spool an audit checkpoint: {}", e.toString());
        }
    }

    private void housekeeping() {
        long now = System.nanoTime();
        if (journalDirty && now - lastJournalSyncNanos >= JOURNAL_SYNC_NANOS) {
            syncJournal();
        }
        if (spooling && !broken && now - nextRetryNanos >= 0) {
            tryDrain();
        } else if (state == AuditHealth.State.FAILED && !broken && !spooling && now - nextRetryNanos >= 0) {
            String problem = store.check();
            if (problem == null) {
                state = AuditHealth.State.OK;
                detail = null;
                LOG.info("audit store answers again; accepting exchanges");
            } else {
                nextRetryNanos = now + settings.retryInterval().toNanos();
            }
        }
        if (sinceCheckpoint > 0 && now - lastCheckpointNanos >= settings.checkpointInterval().toNanos()) {
            checkpointIfNeeded();
        }
        if (!retention.isEmpty() && now - nextRetentionNanos >= 0 && state == AuditHealth.State.OK && !spooling) {
            nextRetentionNanos = now + RETENTION_PERIOD_NANOS;
            applyRetention();
        }
    }

    private void tryDrain() {
        try (Connection c = store.connection()) {
            Spool.Contents contents = spool.read();
            drainRepairing(c, contents);
            spool.clear();
            spooling = false;
            headDirty = false;
            state = AuditHealth.State.OK;
            detail = null;
            committed.addAndGet(contents.events().size());
            LOG.info("audit store is back: drained {} spooled events", contents.events().size());
        } catch (SQLException | IOException | RuntimeException e) {
            nextRetryNanos = System.nanoTime() + settings.retryInterval().toNanos();
            LOG.debug("audit spool not drained yet: {}", e.toString());
        }
    }

    // ---- retention ----

    private void applyRetention() {
        if (spooling || broken || state != AuditHealth.State.OK) {
            throw new StoreException("retention needs the store: " + (detail == null ? "not available" : detail));
        }
        Instant now = clock.instant();
        try {
            for (Map.Entry<String, Duration> entry : retention.entrySet()) {
                expire(entry.getKey(), entry.getValue(), now);
            }
            prune(now);
        } catch (SQLException e) {
            throw new StoreException("retention failed: " + Store.rootMessage(e), e);
        }
    }

    private void expire(String endpoint, Duration keep, Instant now) throws SQLException {
        long cutoff = EventDraft.micros(now.minus(keep));
        String where = " WHERE replica_id = ? AND endpoint_id = ? AND event_time < ? AND payload IS NOT NULL"
                + " AND event_type IN ('start', 'end', 'amend')";
        long count;
        try (Connection c = store.connection(); PreparedStatement ps = c.prepareStatement(
                "SELECT COUNT(*) FROM audit_event" + where)) {
            bind(ps, endpoint, cutoff);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                count = rs.getLong(1);
            }
        }
        if (count == 0) {
            return;
        }
        com.fasterxml.jackson.databind.node.ObjectNode payload = CanonicalJson.object();
        payload.put("cutoffMicros", cutoff).put("cutoff", EventDraft.instant(cutoff).toString())
                .put("retentionDays", keep.toDays()).put("removed", count);
        if (!writeEvents(List.of(new Pending(EventDraft.of(EventType.RETENTION, "retention-" + UUID.randomUUID(),
                now, endpoint, payload), new CompletableFuture<>()))) || spooling) {
            throw new StoreException("cannot log the retention of endpoint " + endpoint + ": " + detail);
        }
        long logged = headSeq;
        try (Connection c = store.connection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("UPDATE audit_event SET payload = NULL, session_id = NULL,"
                    + " username = NULL, decision = NULL, status = NULL" + where + " AND seq < ?")) {
                bind(ps, endpoint, cutoff);
                ps.setLong(4, logged);
                int removed = ps.executeUpdate();
                c.commit();
                store.forceDurable(c);
                LOG.info("retention: removed the content of {} audit event(s) of endpoint {} older than {} days",
                        removed, endpoint, keep.toDays());
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
        }
    }

    private void bind(PreparedStatement ps, String endpoint, long cutoff) throws SQLException {
        ps.setString(1, settings.replicaId());
        ps.setString(2, endpoint);
        ps.setLong(3, cutoff);
    }

    /**
     * Deletes the start of the chain when nothing in it has content any more, up to the newest
     * checkpoint that seals it; the prune is logged first, so a verifier can tell it from a deletion.
     */
    private void prune(Instant now) throws SQLException {
        String replica = settings.replicaId();
        long upTo;
        long checkpoint;
        try (Connection c = store.connection()) {
            Long firstWithContent = single(c, "SELECT MIN(seq) FROM audit_event WHERE replica_id = ? AND payload IS"
                    + " NOT NULL AND event_type IN ('start', 'end', 'amend')", replica, null);
            long limit = firstWithContent == null ? headSeq : firstWithContent - 1;
            Long first = single(c, "SELECT MIN(seq) FROM audit_event WHERE replica_id = ?", replica, null);
            Long sealedAt = single(c, "SELECT MAX(chain_seq) FROM audit_checkpoint WHERE replica_id = ?"
                    + " AND chain_seq <= ?", replica, limit);
            if (first == null || sealedAt == null || sealedAt < first) {
                return;
            }
            upTo = sealedAt;
            checkpoint = single(c, "SELECT MIN(checkpoint_no) FROM audit_checkpoint WHERE replica_id = ?"
                    + " AND chain_seq = ?", replica, upTo);
        }
        com.fasterxml.jackson.databind.node.ObjectNode payload = CanonicalJson.object();
        payload.put("upToSeq", upTo).put("checkpoint", checkpoint);
        if (!writeEvents(List.of(new Pending(EventDraft.of(EventType.PRUNE, "prune-" + UUID.randomUUID(), now,
                "gateway", payload), new CompletableFuture<>()))) || spooling) {
            throw new StoreException("cannot log the prune: " + detail);
        }
        try (Connection c = store.connection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM audit_event WHERE replica_id = ? AND seq <= ?")) {
                ps.setString(1, replica);
                ps.setLong(2, upTo);
                int deleted = ps.executeUpdate();
                c.commit();
                store.forceDurable(c);
                LOG.info("retention: deleted audit events 1..{} of replica {} (sealed by checkpoint {}, {} rows)", upTo,
                        replica, checkpoint, deleted);
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
        }
    }

    private static Long single(Connection c, String sql, String replica, Long arg) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, replica);
            if (arg != null) {
                ps.setLong(2, arg);
            }
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                long v = rs.getLong(1);
                return rs.wasNull() ? null : v;
            }
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is gone: nothing was committed
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public String toString() {
        return "AuditWriter[" + settings.replicaId() + "]";
    }
}
