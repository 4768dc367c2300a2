package io.gatehouse.store.approval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.spi.approval.Approval;
import io.gatehouse.spi.approval.ApprovalEvent;
import io.gatehouse.spi.approval.ApprovalListener;
import io.gatehouse.spi.approval.ApprovalRequest;
import io.gatehouse.spi.approval.ApprovalService;
import io.gatehouse.spi.approval.ApprovalStatus;
import io.gatehouse.spi.approval.Person;
import io.gatehouse.spi.approval.UseResult;
import io.gatehouse.spi.approval.Vote;
import io.gatehouse.store.Dialect;
import io.gatehouse.store.Store;
import io.gatehouse.store.StoreException;
import io.gatehouse.store.audit.AuditTrail;
import io.gatehouse.store.audit.CanonicalJson;
import io.gatehouse.store.audit.EventDraft;
import io.gatehouse.store.audit.EventType;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's approvals: held requests, decisions on them and their single-use grants, kept in
 * the store so that they survive restarts and are shared by every replica on one PostgreSQL.
 * The store's {@link ApprovalService}, which the gateway offers to processors; thread-safe.
 *
 * <p><b>Rules</b> enforced here, whoever calls: no one decides on their own request (same subject,
 * or same user name); only members of the approver groups decide; approving may need a second
 * factor; one decision per person; any denial is final; N distinct approvals make a grant, usable
 * {@code maxUses} times until it expires; a grant is used by its requester with the very request
 * that was held (same endpoint and digest), each use taken by one atomic statement.
 *
 * <p><b>Waiting.</b> {@link #awaitDecision} never blocks a thread: it returns a future that a
 * decision completes. A decision made on this replica completes it at once; one made on another
 * replica arrives by PostgreSQL {@code LISTEN/NOTIFY}, and polling every {@code pollInterval} covers
 * H2 and lost notifications. When the store cannot be asked, waiters fail with a
 * {@link StoreException}, so nothing is ever released unapproved.
 *
 * <p><b>Audit.</b> Every step (requested, voted, approved, denied, expired, cancelled, used) is an
 * {@code approval} event in the audit trail, with the approval id as record id and the exchange
 * ids it concerns in its payload.
 */
public final class Approvals implements ApprovalService, AutoCloseable {

    /** Timings of the background work. */
    public record Settings(Duration pollInterval, Duration sweepInterval) {
        public static final Settings DEFAULTS = new Settings(Duration.ofSeconds(1), Duration.ofSeconds(1));

        public Settings {
            Objects.requireNonNull(pollInterval, "pollInterval");
            Objects.requireNonNull(sweepInterval, "sweepInterval");
        }
    }

    /** Most approvals one list returns. */
    public static final int MAX_LIST = 500;

    private static final Logger LOG = LoggerFactory.getLogger(Approvals.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Store store;
    private final AuditTrail trail;
    private final Clock clock;
    private final String unavailable;
    private final ThreadPoolExecutor io;
    private final ScheduledExecutorService timers;
    /** Where callers' continuations run: never a JDBC thread, so a slow continuation cannot stall the store work. */
    private final java.util.concurrent.ExecutorService callbacks;
    private final Map<String, Set<CompletableFuture<Approval>>> waiters = new ConcurrentHashMap<>();
    private final Map<String, ApprovalListener> listeners = new ConcurrentHashMap<>();
    private final Set<java.util.function.Consumer<String>> watchers = ConcurrentHashMap.newKeySet();
    private final ApprovalStats stats = new ApprovalStats();
    private volatile PendingSummary lastPending;
    private final PostgresChangeFeed feed;

    private Approvals(Store store, AuditTrail trail, Clock clock, Settings settings, String unavailable) {
        this.store = store;
        this.trail = trail;
        this.clock = clock;
        this.unavailable = unavailable;
        AtomicInteger n = new AtomicInteger();
        this.io = new ThreadPoolExecutor(3, 3, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(10_000), r -> {
            Thread t = new Thread(r, "gatehouse-approvals-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.io.allowCoreThreadTimeOut(true);
        AtomicInteger m = new AtomicInteger();
        this.callbacks = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "gatehouse-approvals-callback-" + m.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gatehouse-approvals-timer");
            t.setDaemon(true);
            return t;
        });
        if (store != null) {
            long poll = settings.pollInterval().toMillis();
            timers.scheduleWithFixedDelay(this::poll, poll, poll, TimeUnit.MILLISECONDS);
            long sweep = settings.sweepInterval().toMillis();
            timers.scheduleWithFixedDelay(() -> submit(() -> {
                sweep();
                refreshPending();
                return null;
            }), sweep, sweep, TimeUnit.MILLISECONDS);
        }
        if (store != null && store.dialect() == Dialect.POSTGRESQL) {
            this.feed = new PostgresChangeFeed(store.settings(), id -> {
                changed(id);
                tellWatchers(id);
            });
            this.feed.start();
        } else {
            this.feed = null;
        }
    }

    /** The approvals of {@code store}; events go to {@code trail}. */
    public static Approvals open(Store store, AuditTrail trail, Clock clock, Settings settings) {
        return new Approvals(Objects.requireNonNull(store, "store"), Objects.requireNonNull(trail, "trail"), clock,
                settings, null);
    }

    /** Approvals that refuse everything (no store): for checking a config without opening its store. */
    public static Approvals unavailable(String reason) {
        return new Approvals(null, AuditTrail.unavailable(reason), Clock.systemUTC(), Settings.DEFAULTS, reason);
    }

    @Override
    public Clock clock() {
        return clock;
    }

    @Override
    public ApprovalStats stats() {
        return stats;
    }

    /** True when decisions made on other replicas arrive as notifications (PostgreSQL LISTEN is up). */
    public boolean notifiedAcrossReplicas() {
        return feed != null && feed.listening();
    }

    /**
     * Calls {@code watcher} with the id of every approval that changes (held, voted, decided, expired, cancelled,
     * used): at once for changes made on this replica; for those of other replicas on the same PostgreSQL when
     * their notification arrives (a vote that decides nothing is not announced across replicas). The watcher
     * runs on the approvals' threads: it must be quick and must not throw. Running the answer stops it.
     */
    public Runnable watch(java.util.function.Consumer<String> watcher) {
        Objects.requireNonNull(watcher, "watcher");
        watchers.add(watcher);
        return () -> watchers.remove(watcher);
    }

    private void tellWatchers(String id) {
        for (java.util.function.Consumer<String> w : watchers) {
            try {
                w.accept(id);
            } catch (RuntimeException e) {
                LOG.warn("approval watcher failed on {}", id, e);
            }
        }
    }

    /** Adds or replaces the listener called {@code name} (e.g. the webhooks of the current config). */
    @Override
    public void listen(String name, ApprovalListener listener) {
        listeners.put(name, listener);
    }

    @Override
    public void stopListening(String name) {
        listeners.remove(name);
    }

    // ---- the approval step's side (asynchronous) ----

    /** Stores a held request as pending; the future fails with a {@link StoreException} when it cannot. */
    @Override
    public CompletableFuture<Approval> hold(ApprovalRequest r) {
        return submit(() -> {
            Instant now = clock.instant();
            Approval a = new Approval(newId(), ApprovalStatus.PENDING, r.endpointId(), r.recordId(), r.requester(),
                    r.operationKind(), r.model(), r.batch(), r.method(), r.path(), r.digest(), r.summary(), r.reason(),
                    r.rule(), r.approverGroups(), r.approvalsNeeded(), r.mfa(), r.maxUses(), 0, r.grantTtl(), now,
                    now.plus(r.pendingTtl()), null, null, List.of());
            transaction(c -> {
                ApprovalRepository.insert(c, a);
                announce(c, a.id()); // other replicas' consoles show it at once
                return null;
            });
            return a;
        }).thenCompose(a -> event(ApprovalEvent.Kind.REQUESTED, a, r.requester(), r.reason(), r.recordId())
                .thenApply(ignored -> a)).whenCompleteAsync((a, e) -> { }, callbacks);
    }

    /**
     * A retry of a held request with its approval id: takes one use of the grant when every rule
     * holds, else says which failed. Checked in this order: unknown id, someone else's, a different
     * request, then the approval's state.
     */
    @Override
    public CompletableFuture<UseResult> use(String id, Person requester, String endpointId, String digest,
                                            String recordId) {
        return submit(() -> {
            Approval a = read(c -> ApprovalRepository.find(c, id, false));
            UseResult refused = refusal(a, requester, endpointId, digest);
            if (refused != null) {
                return refused;
            }
            Instant now = clock.instant();
            boolean taken = transaction(c -> ApprovalRepository.consume(c, id, recordId, now));
            Approval after = read(c -> ApprovalRepository.find(c, id, false));
            if (!taken) {
                UseResult again = refusal(after, requester, endpointId, digest);
                return again != null ? again : new UseResult(UseResult.Verdict.USED, after);
            }
            return new UseResult(UseResult.Verdict.GRANTED, after);
        }).thenCompose(result -> result.granted()
                ? event(ApprovalEvent.Kind.USED, result.approval(), requester, null, recordId).thenApply(i -> result)
                : CompletableFuture.completedFuture(result)).whenCompleteAsync((r, e) -> { }, callbacks);
    }

    private UseResult refusal(Approval a, Person requester, String endpointId, String digest) {
        if (a == null) {
            return new UseResult(UseResult.Verdict.UNKNOWN, null);
        }
        if (!requester.sameAccountAs(a.requester().issuer(), a.requester().subject())) {
            return new UseResult(UseResult.Verdict.FOREIGN, a);
        }
        if (!a.endpointId().equals(endpointId) || !a.digest().equals(digest)) {
            return new UseResult(UseResult.Verdict.DIFFERENT, a);
        }
        return switch (a.effectiveStatus(clock.instant())) {
            case APPROVED -> null;
            case PENDING -> new UseResult(UseResult.Verdict.PENDING, a);
            case EXPIRED -> new UseResult(UseResult.Verdict.EXPIRED, a);
            case DENIED -> new UseResult(UseResult.Verdict.DENIED, a);
            case CANCELLED -> new UseResult(UseResult.Verdict.CANCELLED, a);
            case USED -> new UseResult(UseResult.Verdict.USED, a);
        };
    }

    /**
     * Completes with the approval once it is no longer pending (decided, expired, cancelled), or with
     * null after {@code max} (or at its expiry) if nothing was decided; fails with a
     * {@link StoreException} when the store cannot be asked meanwhile. Holds no thread.
     */
    @Override
    public CompletableFuture<Approval> awaitDecision(String id, Duration max) {
        CompletableFuture<Approval> waiter = new CompletableFuture<>();
        waiters.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(waiter);
        stats.waiting(1);
        var timeout = timers.schedule(() -> waiter.complete(null), Math.max(1, max.toMillis()), TimeUnit.MILLISECONDS);
        waiter.whenComplete((a, e) -> {
            timeout.cancel(false);
            stats.waiting(-1);
            waiters.computeIfPresent(id, (k, set) -> {
                set.remove(waiter);
                return set.isEmpty() ? null : set;
            });
        });
        changed(id); // it may have been decided before the waiter was registered
        return waiter.whenCompleteAsync((a, e) -> { }, callbacks);
    }

    public CompletableFuture<Optional<Approval>> find(String id) {
        return submit(() -> Optional.ofNullable(read(c -> ApprovalRepository.find(c, id, false))))
                .whenCompleteAsync((a, e) -> { }, callbacks);
    }

    // ---- the approvers' side (blocking: call on a worker thread) ----

    /** Newest first, at most {@code limit}; {@code status} null for every status. Blocks. */
    public List<Approval> list(ApprovalStatus status, int limit) {
        if (limit < 1 || limit > MAX_LIST) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIST + ", got " + limit);
        }
        return read(c -> ApprovalRepository.list(c, status, limit));
    }

    /**
     * How many requests wait for a decision (every replica's: they share the store) and how long the oldest
     * has waited, for the metrics; zero and {@link Duration#ZERO} when none. Blocks (one query).
     */
    public PendingSummary pending() {
        ApprovalRepository.Pending p = read(ApprovalRepository::pending);
        return new PendingSummary(p.count(), p.oldestSince() == null ? Duration.ZERO
                : Duration.between(p.oldestSince(), clock.instant()).abs());
    }

    /** See {@link #pending()}. */
    public record PendingSummary(long count, Duration oldestAge) {
    }

    /**
     * {@link #pending()} as of the last sweep (every {@code sweepInterval}), without blocking: for readers that
     * must not wait on the store, such as a metrics scrape on an event loop. Empty before the first sweep and
     * while the store cannot answer.
     */
    public Optional<PendingSummary> lastPending() {
        return Optional.ofNullable(lastPending);
    }

    private void refreshPending() {
        try {
            lastPending = pending();
        } catch (RuntimeException storeAway) {
            lastPending = null;
        }
    }

    /** The approval, if any. Blocks. */
    public Optional<Approval> get(String id) {
        return Optional.ofNullable(read(c -> ApprovalRepository.find(c, id, false)));
    }

    /**
     * Records {@code who}'s decision. Blocks.
     *
     * @return the approval after the decision
     * @throws ApprovalRefusedException when a rule refuses it, saying which
     * @throws StoreException           when the store cannot be reached
     */
    public Approval decide(String id, Person who, boolean approve, String reason) {
        return decide(id, who, approve, reason, null);
    }

    /**
     * What an approver grants: {@code uses} uses (requests, or tokens for a token quota) for {@code lasting},
     * each at most what the held request allows ({@link Approval#maxUses()}, its grant TTL).
     */
    public record Grant(int uses, Duration lasting) {
    }

    /**
     * Records {@code who}'s decision; an approval may narrow the grant to {@code grant} (null: the most the
     * request allows). The grant of the vote that completes the approval applies. Blocks.
     *
     * @throws ApprovalRefusedException when a rule refuses it, saying which (a grant above its bounds: 400)
     */
    public Approval decide(String id, Person who, boolean approve, String reason, Grant grant) {
        if (reason == null || reason.isBlank()) {
            throw new ApprovalRefusedException(400, "Reason required", "give a reason for your decision; it is kept"
                    + " in the audit trail and shown to the requester");
        }
        String why = clean(reason);
        Instant now = clock.instant();
        ApprovalEvent.Kind[] kind = new ApprovalEvent.Kind[1];
        Approval after = transaction(c -> {
            Approval a = ApprovalRepository.find(c, id, true);
            if (a == null) {
                throw new ApprovalRefusedException(404, "Not found", "no approval with id '" + id + "'");
            }
            checkDecidable(a, who, approve, now);
            checkGrant(a, approve, grant);
            ApprovalRepository.insertVote(c, id, new Vote(who.issuer(), who.subject(), who.username(), approve, why,
                    now));
            if (!approve) {
                ApprovalRepository.transition(c, id, ApprovalStatus.PENDING, ApprovalStatus.DENIED, now, null);
                kind[0] = ApprovalEvent.Kind.DENIED;
            } else if (a.approvals() + 1 >= a.approvalsNeeded()) {
                if (grant != null && grant.uses() < a.maxUses()) {
                    ApprovalRepository.limitUses(c, id, grant.uses());
                }
                ApprovalRepository.transition(c, id, ApprovalStatus.PENDING, ApprovalStatus.APPROVED, now,
                        now.plus(grant == null ? a.grantTtl() : grant.lasting()));
                kind[0] = ApprovalEvent.Kind.APPROVED;
            } else {
                kind[0] = ApprovalEvent.Kind.VOTED;
            }
            if (kind[0] != ApprovalEvent.Kind.VOTED) {
                announce(c, id);
            }
            return ApprovalRepository.find(c, id, false);
        });
        event(kind[0], after, who, why, after.recordId());
        if (kind[0] != ApprovalEvent.Kind.VOTED) {
            changed(id);
        }
        return after;
    }

    /** A grant is given with an approval, and within what the held request allows. */
    private static void checkGrant(Approval a, boolean approve, Grant grant) {
        if (grant == null) {
            return;
        }
        if (!approve) {
            throw new ApprovalRefusedException(400, "Grant without approval", "a grant is given with an approval;"
                    + " a denial grants nothing");
        }
        if (grant.uses() < 1 || grant.uses() > a.maxUses()) {
            throw new ApprovalRefusedException(400, "Grant out of bounds", "approval " + a.id() + " may grant 1 to "
                    + a.maxUses() + (a.maxUses() == 1 ? " use" : " uses") + ", not " + grant.uses());
        }
        if (grant.lasting() == null || grant.lasting().isNegative() || grant.lasting().isZero()
                || grant.lasting().compareTo(a.grantTtl()) > 0) {
            throw new ApprovalRefusedException(400, "Grant out of bounds", "approval " + a.id() + " may be granted"
                    + " for at most " + a.grantTtl().toString().substring(2).toLowerCase(java.util.Locale.ROOT)
                    + ", not " + (grant.lasting() == null ? "nothing"
                    : grant.lasting().toString().substring(2).toLowerCase(java.util.Locale.ROOT)));
        }
    }

    /**
     * Charges {@code amount} uses to a granted approval (the tokens of an answer a token-quota grant let
     * through); it is used up when its uses reach its maximum. Completes off the caller's thread.
     */
    @Override
    public CompletableFuture<Void> charge(String id, long amount) {
        if (amount <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        return submit(() -> {
            transaction(c -> ApprovalRepository.charge(c, id, amount));
            return (Void) null;
        }).whenCompleteAsync((r, e) -> { }, callbacks);
    }

    private void checkDecidable(Approval a, Person who, boolean approve, Instant now) {
        ApprovalStatus status = a.effectiveStatus(now);
        if (status == ApprovalStatus.EXPIRED) {
            throw new ApprovalRefusedException(410, "Approval expired", "approval " + a.id() + " expired at "
                    + a.expiry() + "; the requester must send the request again");
        }
        if (status == ApprovalStatus.DENIED) {
            Vote denial = a.denial();
            throw new ApprovalRefusedException(409, "Already denied", "approval " + a.id() + " was denied"
                    + (denial == null ? "" : " by " + denial.username()) + ": a denial is final");
        }
        if (status != ApprovalStatus.PENDING) {
            throw new ApprovalRefusedException(409, "Already decided", "approval " + a.id() + " is "
                    + status.wireName() + "; only a pending request can be decided");
        }
        if (who.samePersonAs(a.requester())) {
            throw new ApprovalRefusedException(403, "Self-approval refused", who.username() + " asked for approval "
                    + a.id() + " and so cannot decide on it; a member of " + groups(a.approverGroups())
                    + " must" + (approve ? "" : " (to withdraw it, cancel it)"));
        }
        if (!a.mayDecide(who)) {
            throw new ApprovalRefusedException(403, "Not an approver", "approval " + a.id() + " is decided by members"
                    + " of " + groups(a.approverGroups()) + "; " + who.username() + " is in "
                    + (who.groups().isEmpty() ? "no group" : groups(who.groups())));
        }
        if (approve && !a.mfa().satisfiedBy(who)) {
            throw new ApprovalRefusedException(401, "Second factor required", "approving " + a.id() + " needs a"
                    + " sign-in with a second factor (" + a.mfa().describe() + "); sign in again with it and retry",
                    Map.of("WWW-Authenticate", "Bearer error=\"insufficient_user_authentication\", error_description="
                            + "\"a second factor is required to approve\""));
        }
        for (Vote v : a.votes()) {
            if (who.sameAccountAs(v.issuer(), v.subject()) || v.username().equalsIgnoreCase(who.username())) {
                throw new ApprovalRefusedException(409, "Already decided by you", who.username() + " already"
                        + " decided on approval " + a.id() + " (" + v.decision() + "); it needs "
                        + (a.approvalsNeeded() - a.approvals()) + " more approval(s) from other members of "
                        + groups(a.approverGroups()));
            }
        }
    }

    /**
     * The requester withdraws a pending request or an unused grant. Blocks.
     *
     * @throws ApprovalRefusedException when it is not theirs or no longer open
     */
    public Approval cancel(String id, Person who) {
        Instant now = clock.instant();
        Approval after = transaction(c -> {
            Approval a = ApprovalRepository.find(c, id, true);
            if (a == null) {
                throw new ApprovalRefusedException(404, "Not found", "no approval with id '" + id + "'");
            }
            if (!who.sameAccountAs(a.requester().issuer(), a.requester().subject())) {
                throw new ApprovalRefusedException(403, "Not yours", "only " + a.requester().username()
                        + ", who asked for approval " + a.id() + ", can cancel it");
            }
            ApprovalStatus status = a.effectiveStatus(now);
            if (status != ApprovalStatus.PENDING && status != ApprovalStatus.APPROVED) {
                throw new ApprovalRefusedException(409, "Already closed", "approval " + a.id() + " is "
                        + status.wireName() + " and cannot be cancelled");
            }
            ApprovalRepository.transition(c, id, a.status(), ApprovalStatus.CANCELLED, now, null);
            announce(c, id);
            return ApprovalRepository.find(c, id, false);
        });
        event(ApprovalEvent.Kind.CANCELLED, after, who, null, after.recordId());
        changed(id);
        return after;
    }

    /** Marks expired what ran out of time (once across replicas) and tells waiters and listeners. Blocks. */
    public int sweep() {
        if (store == null) {
            return 0;
        }
        Instant now = clock.instant();
        int expired = 0;
        try {
            for (String id : read(c -> ApprovalRepository.due(c, now, 100))) {
                Approval after = transaction(c -> {
                    Approval a = ApprovalRepository.find(c, id, true);
                    if (a == null || a.effectiveStatus(now) != ApprovalStatus.EXPIRED || a.status().isFinal()) {
                        return null;
                    }
                    if (!ApprovalRepository.transition(c, id, a.status(), ApprovalStatus.EXPIRED, null, null)) {
                        return null;
                    }
                    announce(c, id);
                    return ApprovalRepository.find(c, id, false);
                });
                if (after != null) {
                    expired++;
                    event(ApprovalEvent.Kind.EXPIRED, after, null, null, after.recordId());
                    changed(id);
                }
            }
        } catch (StoreException e) {
            LOG.debug("approval sweep skipped: {}", e.getMessage());
        }
        return expired;
    }

    // ---- change propagation ----

    /** Tells every replica (PostgreSQL) that {@code id} changed; delivered when the transaction commits. */
    private void announce(Connection c, String id) throws SQLException {
        if (store.dialect() == Dialect.POSTGRESQL) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
                ps.setString(1, PostgresChangeFeed.CHANNEL);
                ps.setString(2, id);
                ps.execute();
            }
        }
    }

    /** An approval may have changed: completes its waiters if it is no longer pending. */
    private void changed(String id) {
        if (!waiters.containsKey(id)) {
            return;
        }
        submit(() -> read(c -> ApprovalRepository.find(c, id, false))).whenComplete((a, error) -> {
            Set<CompletableFuture<Approval>> waiting = waiters.get(id);
            if (waiting == null) {
                return;
            }
            if (error != null) {
                waiting.forEach(w -> w.completeExceptionally(unwrap(error)));
            } else if (a == null || a.effectiveStatus(clock.instant()) != ApprovalStatus.PENDING) {
                waiting.forEach(w -> w.complete(a));
            }
        });
    }

    /** Looks at every waited-on approval: the safety net under notifications, and the store check. */
    private void poll() {
        if (waiters.isEmpty()) {
            return;
        }
        List<String> ids = new ArrayList<>(waiters.keySet());
        submit(() -> read(c -> ApprovalRepository.states(c, ids))).whenComplete((states, error) -> {
            if (error != null) {
                Throwable cause = unwrap(error);
                LOG.warn("approval store unavailable while {} request(s) wait: {}", ids.size(), cause.getMessage());
                ids.forEach(id -> {
                    Set<CompletableFuture<Approval>> waiting = waiters.get(id);
                    if (waiting != null) {
                        waiting.forEach(w -> w.completeExceptionally(cause));
                    }
                });
                return;
            }
            for (String id : ids) {
                String state = states.get(id);
                if (state == null || !state.startsWith("pending/")) {
                    changed(id);
                }
            }
        });
    }

    // ---- audit and listeners ----

    private CompletableFuture<Void> event(ApprovalEvent.Kind kind, Approval a, Person actor, String reason,
                                          String recordId) {
        Instant at = clock.instant();
        stats.event(kind);
        ApprovalEvent event = new ApprovalEvent(kind, a, actor, reason, recordId, at);
        for (Map.Entry<String, ApprovalListener> l : listeners.entrySet()) {
            try {
                l.getValue().onEvent(event);
            } catch (RuntimeException e) {
                LOG.warn("approval listener {} failed on {} of {}", l.getKey(), kind.wireName(), a.id(), e);
            }
        }
        tellWatchers(a.id());
        CompletableFuture<Void> durable;
        try {
            durable = trail.append(EventDraft.of(EventType.APPROVAL, a.id(), at, a.endpointId(),
                    payload(event)));
        } catch (RuntimeException e) {
            durable = CompletableFuture.failedFuture(e);
        }
        return durable.handle((ok, error) -> {
            if (error != null) {
                LOG.error("the audit event '{}' of approval {} is not durable: {}", kind.wireName(), a.id(),
                        unwrap(error).getMessage());
            }
            return null;
        });
    }

    /** The audit payload: who did what to which approval, and the exchanges concerned; never a body. */
    static ObjectNode payload(ApprovalEvent e) {
        Approval a = e.approval();
        ObjectNode p = CanonicalJson.object();
        p.put("event", e.kind().wireName()).put("decision", e.kind().wireName()).put("approvalId", a.id())
                .put("approvalStatus", a.status().wireName());
        if (e.actor() != null) {
            ObjectNode actor = p.putObject("actor");
            actor.put("subject", e.actor().subject()).put("username", e.actor().username())
                    .put("issuer", e.actor().issuer());
            ArrayNode groups = actor.putArray("groups");
            new TreeSet<>(e.actor().groups()).forEach(groups::add);
            p.put("username", e.actor().username());
        } else {
            p.putNull("actor");
        }
        p.put("reason", e.reason());
        p.put("heldRequestId", a.recordId());
        p.put("requestId", e.recordId());
        p.putObject("requester").put("subject", a.requester().subject()).put("username", a.requester().username())
                .put("issuer", a.requester().issuer());
        p.put("summary", a.summary()).put("operation", a.operationKind()).put("model", a.model())
                .put("batch", a.batch()).put("method", a.method()).put("path", a.path())
                .put("requestDigest", a.digest()).put("requesterReason", a.reason());
        ObjectNode rule = p.putObject("rule");
        rule.put("policy", a.rule().policy()).put("rule", a.rule().rule()).put("reason", a.rule().reason());
        ArrayNode approvers = p.putArray("approverGroups");
        new TreeSet<>(a.approverGroups()).forEach(approvers::add);
        p.put("approvalsNeeded", a.approvalsNeeded()).put("approvals", a.approvals())
                .put("uses", a.uses()).put("maxUses", a.maxUses())
                .put("expiresAt", a.expiry().toString());
        return p;
    }

    // ---- plumbing ----

    /** Runs {@code work} in one transaction, committed and forced to disk (on H2); store trouble is a StoreException. */
    private <T> T transaction(Store.Work<T> work) {
        return inTransaction(work, true);
    }

    /**
     * Runs a read in one transaction, not forced: a forced commit on H2 is a {@code CHECKPOINT SYNC} of the
     * whole database, which for a read only competes with the audit journal's syncs for the disk.
     */
    private <T> T read(Store.Work<T> work) {
        return inTransaction(work, false);
    }

    private <T> T inTransaction(Store.Work<T> work, boolean durable) {
        if (store == null) {
            throw new StoreException(unavailable);
        }
        return store.inTransaction(work, durable, "the approval store");
    }

    private interface Task<T> {
        T run();
    }

    private <T> CompletableFuture<T> submit(Task<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            io.execute(() -> {
                try {
                    f.complete(task.run());
                } catch (RuntimeException e) {
                    f.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new StoreException("the approvals service is busy or closed"));
        }
        return f;
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof java.util.concurrent.CompletionException
                || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String newId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return "apr-" + HexFormat.of().formatHex(bytes);
    }

    private static String groups(Set<String> groups) {
        return String.join(", ", new TreeSet<>(groups));
    }

    /** A reason as stored: control characters out, at most 1000 characters. */
    static String clean(String text) {
        String s = text.strip().replaceAll("\\p{Cntrl}", " ");
        return s.length() <= 1000 ? s : s.substring(0, 1000);
    }

    @Override
    public void close() {
        timers.shutdownNow();
        if (feed != null) {
            feed.close();
        }
        io.shutdown();
        callbacks.shutdown();
        try {
            io.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        StoreException closed = new StoreException("the gateway is shutting down");
        waiters.values().forEach(set -> set.forEach(w -> w.completeExceptionally(closed)));
    }

    @Override
    public String toString() {
        return "Approvals[" + (store == null ? "unavailable: " + unavailable : store) + "]";
    }
}
