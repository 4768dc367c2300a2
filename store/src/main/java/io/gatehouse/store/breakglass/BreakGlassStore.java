package io.gatehouse.store.breakglass;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.ServiceUnavailableException;
import io.gatehouse.spi.approval.Person;
import io.gatehouse.spi.breakglass.BreakGlassService;
import io.gatehouse.spi.breakglass.BreakGlassSettings;
import io.gatehouse.spi.breakglass.BreakGlassUse;
import io.gatehouse.spi.breakglass.BreakGlassWindow;
import io.gatehouse.store.Store;
import io.gatehouse.store.StoreException;
import io.gatehouse.store.approval.ApprovalRefusedException;
import io.gatehouse.store.audit.AuditTrail;
import io.gatehouse.store.audit.EventDraft;
import io.gatehouse.store.audit.EventType;
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
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Break-glass windows and uses in the gateway's store: the responder opens a window (admin API), the
 * policy step asks for the caller's open window and records each bypass before the request goes on, and
 * reviewers acknowledge the uses afterwards. Every step is also an audit event ({@code break_glass}), and
 * each use is announced to the listeners at once (webhooks). The admin side blocks (it runs on the admin
 * pool); the processors' side answers on this service's own small pool. Thread-safe.
 */
public final class BreakGlassStore implements BreakGlassService, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BreakGlassStore.class);
    public static final int MAX_LIST = 500;

    private final Store store;
    private final AuditTrail trail;
    private final Clock clock;
    private final BreakGlassSettings settings;
    private final Map<String, Consumer<BreakGlassUse>> listeners = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor io = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(1024), r -> {
                Thread t = new Thread(r, "gatehouse-break-glass");
                t.setDaemon(true);
                return t;
            });

    public BreakGlassStore(Store store, AuditTrail trail, Clock clock, BreakGlassSettings settings) {
        this.store = store;
        this.trail = trail;
        this.clock = clock;
        this.settings = settings == null ? BreakGlassSettings.off() : settings;
        io.allowCoreThreadTimeOut(true);
    }

    @Override
    public BreakGlassSettings settings() {
        return settings;
    }

    @Override
    public void listen(String name, Consumer<BreakGlassUse> listener) {
        listeners.put(name, listener);
    }

    @Override
    public void stopListening(String name) {
        listeners.remove(name);
    }

    // ---- admin side (blocks) ----

    /**
     * {@code who} opens a window for {@code lasting} (at most the settings' maxWindow); an open window of
     * theirs is closed first. Refused unless break-glass is on and {@code who} is in its groups.
     */
    public BreakGlassWindow open(Person who, String reason, Duration lasting) {
        if (!settings.enabled()) {
            throw new ApprovalRefusedException(404, "Break-glass is off", "this gateway has no breakGlass.groups in"
                    + " gateway.yaml, so nobody can break glass");
        }
        if (who.groups().stream().noneMatch(settings.groups()::contains)) {
            throw new ApprovalRefusedException(403, "Not a break-glass group", who.username() + " is not in "
                    + new TreeSet<>(settings.groups()) + ", the groups that may break glass");
        }
        if (reason == null || reason.isBlank()) {
            throw new ApprovalRefusedException(400, "Reason required", "say why you break glass (--reason); it is"
                    + " kept in the audit trail and shown to the reviewers");
        }
        Duration d = lasting == null ? settings.maxWindow() : lasting;
        if (d.isNegative() || d.isZero() || d.compareTo(settings.maxWindow()) > 0) {
            throw new ApprovalRefusedException(400, "Window too long", "a break-glass window lasts at most "
                    + human(settings.maxWindow()) + ", not " + human(d));
        }
        Instant now = clock.instant();
        BreakGlassWindow window = new BreakGlassWindow("bg-" + UUID.randomUUID().toString().replace("-", ""), who,
                clean(reason), now, now.plus(d), null);
        transaction(c -> {
            closeOpen(c, who, now);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO break_glass_window (id, opener_issuer,"
                    + " opener_subject, opener_username, opener_groups, reason, opened_at, expires_at) VALUES"
                    + " (?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, window.id());
                ps.setString(2, who.issuer());
                ps.setString(3, who.subject());
                ps.setString(4, who.username());
                ps.setString(5, String.join(",", new TreeSet<>(who.groups())));
                ps.setString(6, window.reason());
                ps.setLong(7, EventDraft.micros(now));
                ps.setLong(8, EventDraft.micros(window.expiresAt()));
                ps.executeUpdate();
            }
            return null;
        });
        audit("opened", window.id(), who, window.reason(), payload -> payload.put("expiresAt",
                window.expiresAt().toString()));
        LOG.warn("break-glass window {} opened by {} until {}: {}", window.id(), who.username(), window.expiresAt(),
                window.reason());
        return window;
    }

    /** {@code who} closes their open window; empty when they had none. */
    public Optional<BreakGlassWindow> close(Person who) {
        Instant now = clock.instant();
        Optional<BreakGlassWindow> closed = transaction(c -> {
            Optional<BreakGlassWindow> open = find(c, who, now);
            closeOpen(c, who, now);
            return open.map(w -> new BreakGlassWindow(w.id(), w.opener(), w.reason(), w.openedAt(), w.expiresAt(),
                    now));
        });
        closed.ifPresent(w -> audit("closed", w.id(), who, null, p -> { }));
        return closed;
    }

    /** Uses, newest first: those waiting for a review only, or all. */
    public List<BreakGlassUse> uses(boolean waitingOnly, int limit) {
        int n = Math.max(1, Math.min(limit, MAX_LIST));
        return transaction(c -> {
            List<BreakGlassUse> uses = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM break_glass_use"
                    + (waitingOnly ? " WHERE reviewed_at IS NULL" : "") + " ORDER BY used_at DESC")) {
                ps.setMaxRows(n);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        uses.add(use(rs));
                    }
                }
            }
            return uses;
        });
    }

    /**
     * A reviewer acknowledges a use: a member of the reviewer groups, never the one who broke glass, with a
     * note; once.
     */
    public BreakGlassUse acknowledge(String id, Person reviewer, String note) {
        if (note == null || note.isBlank()) {
            throw new ApprovalRefusedException(400, "Reason required", "say what you checked (--reason); it is kept"
                    + " in the audit trail");
        }
        if (reviewer.groups().stream().noneMatch(settings.reviewers()::contains)) {
            throw new ApprovalRefusedException(403, "Not a reviewer", "break-glass uses are acknowledged by members"
                    + " of " + new TreeSet<>(settings.reviewers()) + "; " + reviewer.username() + " is not one");
        }
        Instant now = clock.instant();
        BreakGlassUse after = transaction(c -> {
            BreakGlassUse use = findUse(c, id);
            if (use == null) {
                throw new ApprovalRefusedException(404, "Not found", "no break-glass use with id '" + id + "'");
            }
            if (reviewer.samePersonAs(use.user())) {
                throw new ApprovalRefusedException(403, "Self-review refused", reviewer.username() + " broke glass in"
                        + " " + id + " and so cannot acknowledge it; another member of "
                        + new TreeSet<>(settings.reviewers()) + " must");
            }
            if (use.acknowledged()) {
                throw new ApprovalRefusedException(409, "Already acknowledged", id + " was acknowledged by "
                        + use.reviewer() + " at " + use.reviewedAt());
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE break_glass_use SET reviewer = ?, review = ?,"
                    + " reviewed_at = ? WHERE id = ? AND reviewed_at IS NULL")) {
                ps.setString(1, reviewer.username());
                ps.setString(2, clean(note));
                ps.setLong(3, EventDraft.micros(now));
                ps.setString(4, id);
                ps.executeUpdate();
            }
            return findUse(c, id);
        });
        audit("acknowledged", after.windowId(), reviewer, after.review(), p -> p.put("use", id)
                .put("recordId", after.recordId()));
        return after;
    }

    // ---- processors' side (stages) ----

    @Override
    public CompletableFuture<Optional<BreakGlassWindow>> openWindow(Person who) {
        return submit(() -> read(c -> find(c, who, clock.instant())));
    }

    @Override
    public CompletableFuture<BreakGlassUse> recordUse(BreakGlassWindow window, Person user, String recordId,
                                                      String endpointId, DecidingRule bypassed, String justification) {
        return submit(() -> {
            Instant now = clock.instant();
            BreakGlassUse use = new BreakGlassUse("bgu-" + UUID.randomUUID().toString().replace("-", ""), window.id(),
                    user, recordId, endpointId, bypassed, clean(justification), now, null, null, null);
            transaction(c -> {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO break_glass_use (id, window_id,"
                        + " user_issuer, user_subject, user_username, record_id, endpoint_id, rule_policy, rule_name,"
                        + " rule_reason, justification, used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                    ps.setString(1, use.id());
                    ps.setString(2, use.windowId());
                    ps.setString(3, user.issuer());
                    ps.setString(4, user.subject());
                    ps.setString(5, user.username());
                    ps.setString(6, recordId);
                    ps.setString(7, endpointId);
                    ps.setString(8, bypassed.policy());
                    ps.setString(9, bypassed.rule());
                    ps.setString(10, clip(bypassed.reason(), 1024));
                    ps.setString(11, use.justification());
                    ps.setLong(12, EventDraft.micros(now));
                    ps.executeUpdate();
                }
                return null;
            });
            return use;
        }).thenCompose(use -> {
            for (Map.Entry<String, Consumer<BreakGlassUse>> l : listeners.entrySet()) {
                try {
                    l.getValue().accept(use);
                } catch (RuntimeException e) {
                    LOG.warn("break-glass listener {} failed on {}", l.getKey(), use.id(), e);
                }
            }
            return audit("used", use.windowId(), user, use.justification(), p -> {
                p.put("use", use.id()).put("recordId", recordId).put("endpoint", endpointId);
                p.putObject("bypassed").put("policy", bypassed.policy()).put("rule", bypassed.rule());
            }).thenApply(durable -> use);
        });
    }

    // ---- plumbing ----

    private CompletableFuture<Void> audit(String what, String windowId, Person who, String reason,
                                          Consumer<ObjectNode> more) {
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        p.put("breakGlass", what).put("window", windowId).put("username", who.username());
        p.putObject("actor").put("subject", who.subject()).put("username", who.username()).put("issuer", who.issuer());
        if (reason != null) {
            p.put("reason", reason);
        }
        more.accept(p);
        try {
            return trail.append(EventDraft.of(EventType.BREAK_GLASS, windowId, clock.instant(), "gateway", p));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static void closeOpen(Connection c, Person who, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE break_glass_window SET closed_at = ? WHERE"
                + " opener_issuer = ? AND opener_subject = ? AND closed_at IS NULL AND expires_at > ?")) {
            ps.setLong(1, EventDraft.micros(now));
            ps.setString(2, who.issuer());
            ps.setString(3, who.subject());
            ps.setLong(4, EventDraft.micros(now));
            ps.executeUpdate();
        }
    }

    private static Optional<BreakGlassWindow> find(Connection c, Person who, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM break_glass_window WHERE opener_issuer = ? AND"
                + " opener_subject = ? AND closed_at IS NULL AND expires_at > ? ORDER BY opened_at DESC")) {
            ps.setString(1, who.issuer());
            ps.setString(2, who.subject());
            ps.setLong(3, EventDraft.micros(now));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                Person opener = new Person(rs.getString("opener_issuer"), rs.getString("opener_subject"),
                        rs.getString("opener_username"), groups(rs.getString("opener_groups")), null, List.of());
                return Optional.of(new BreakGlassWindow(rs.getString("id"), opener, rs.getString("reason"),
                        time(rs, "opened_at"), time(rs, "expires_at"), time(rs, "closed_at")));
            }
        }
    }

    private static BreakGlassUse findUse(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM break_glass_use WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? use(rs) : null;
            }
        }
    }

    private static BreakGlassUse use(ResultSet rs) throws SQLException {
        Person user = new Person(rs.getString("user_issuer"), rs.getString("user_subject"),
                rs.getString("user_username"), Set.of(), null, List.of());
        return new BreakGlassUse(rs.getString("id"), rs.getString("window_id"), user, rs.getString("record_id"),
                rs.getString("endpoint_id"), new DecidingRule(rs.getString("rule_policy"), rs.getString("rule_name"),
                rs.getString("rule_reason")), rs.getString("justification"), time(rs, "used_at"),
                rs.getString("reviewer"), rs.getString("review"), time(rs, "reviewed_at"));
    }

    private static Set<String> groups(String joined) {
        return joined == null || joined.isEmpty() ? Set.of() : Set.of(joined.split(","));
    }

    private static Instant time(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.EPOCH.plus(v, java.time.temporal.ChronoUnit.MICROS);
    }

    private static String clean(String text) {
        return clip(text.strip().replaceAll("\\p{Cntrl}", " "), BreakGlassSettings.MAX_JUSTIFICATION);
    }

    private static String clip(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max);
    }

    private static String human(Duration d) {
        return d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
    }

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
        return store.inTransaction(work, durable, "the break-glass store");
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
                } catch (StoreException e) {
                    f.completeExceptionally(new ServiceUnavailableException(e.getMessage()));
                } catch (RuntimeException e) {
                    f.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new ServiceUnavailableException("the break-glass service is busy or closed"));
        }
        return f;
    }

    @Override
    public void close() {
        io.shutdown();
    }

    @Override
    public String toString() {
        return "break-glass[groups=" + new TreeSet<>(settings.groups()) + "]";
    }
}
