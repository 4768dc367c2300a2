package io.gatehouse.gateway.admin;

import io.gatehouse.config.AdminConfig;
import io.gatehouse.spi.approval.ApprovalEvent;
import io.gatehouse.store.approval.Approvals;
import io.gatehouse.store.breakglass.BreakGlassStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The approvals part of the admin side: the approvals admin API on the admin port and the approval
 * meters, over the {@link Approvals} the gateway's services opened (this class neither opens nor closes
 * them; only its own worker pool).
 */
public final class ApprovalAdmin implements AutoCloseable {

    private final Approvals approvals;
    private final ThreadPoolExecutor executor = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(256), r -> {
                Thread t = new Thread(r, "gatehouse-admin-approvals");
                t.setDaemon(true);
                return t;
            });

    private final io.gatehouse.store.audit.AuditQuery recordings;
    private final BreakGlassStore breakGlass;

    public ApprovalAdmin(Approvals approvals) {
        this(approvals, null, null);
    }

    /** @param recordings where held requests were recorded, shown by {@code /admin/approvals/{id}/request} */
    public ApprovalAdmin(Approvals approvals, io.gatehouse.store.audit.AuditQuery recordings) {
        this(approvals, recordings, null);
    }

    /** @param breakGlass break-glass windows and uses, whose admin API rides on the approvals route; or null */
    public ApprovalAdmin(Approvals approvals, BreakGlassStore breakGlass) {
        this(approvals, null, breakGlass);
    }

    /**
     * @param recordings where held requests were recorded, shown by {@code /admin/approvals/{id}/request}; or null
     * @param breakGlass break-glass windows and uses, whose admin API rides on the approvals route; or null
     */
    public ApprovalAdmin(Approvals approvals, io.gatehouse.store.audit.AuditQuery recordings,
                         BreakGlassStore breakGlass) {
        this.approvals = approvals;
        this.recordings = recordings;
        this.breakGlass = breakGlass;
    }

    public Approvals approvals() {
        return approvals;
    }

    /**
     * Adds the approvals admin API to the admin port and the approval meters to the registry.
     *
     * @param auth the admin API's {@code auth} step ({@code admin.auth}), shared with the other admin routes
     */
    public void attach(org.apache.camel.CamelContext camel, AdminConfig admin, int adminPort, AdminAuth auth,
                       MeterRegistry meters, Clock clock) throws Exception {
        camel.addRoutes(new ApprovalAdminRoutes(admin.host(), adminPort, approvals, breakGlass, auth.step(),
                admin.auditors(), executor, clock, recordings));
        bind(meters);
    }
    private void bind(MeterRegistry registry) {
        for (ApprovalEvent.Kind kind : ApprovalEvent.Kind.values()) {
            FunctionCounter.builder("gatehouse.approvals.events", approvals, a -> a.stats().events(kind))
                    .description("Approval events on this replica: requested, voted, approved, denied, expired,"
                            + " cancelled, used").tag("event", kind.wireName()).register(registry);
        }
        Gauge.builder("gatehouse.approvals.waiting", approvals, a -> a.stats().waiting())
                .description("Connections held open (Prefer: wait) for a decision").register(registry);
        // The scrape runs on the admin listener's event loop: these read what the approvals' sweep last read
        // from the store (every replica reports the shared queue), NaN before that or while the store is away.
        Gauge.builder("gatehouse.approvals.pending", approvals, a -> pendingOrNaN(a, s -> (double) s.count()))
                .description("Requests waiting for an approver's decision, all replicas").register(registry);
        Gauge.builder("gatehouse.approvals.pending.oldest.age", approvals,
                        a -> pendingOrNaN(a, s -> s.oldestAge().toMillis() / 1000.0))
                .description("How long the oldest request waiting for a decision has waited (0 when none)")
                .baseUnit("seconds").register(registry);
        Gauge.builder("gatehouse.approvals.notify.listening", approvals, a -> a.notifiedAcrossReplicas() ? 1 : 0)
                .description("1 while decisions of other replicas arrive by PostgreSQL LISTEN/NOTIFY, else 0"
                        + " (polling only)").register(registry);
        FunctionCounter.builder("gatehouse.approvals.webhook.deliveries", approvals,
                        a -> a.stats().notificationsDelivered())
                .description("Webhook notifications by result").tag("result", "delivered").register(registry);
        FunctionCounter.builder("gatehouse.approvals.webhook.deliveries", approvals,
                        a -> a.stats().notificationsRetried())
                .description("Webhook notifications by result").tag("result", "retried").register(registry);
        FunctionCounter.builder("gatehouse.approvals.webhook.deliveries", approvals,
                        a -> a.stats().notificationsFailed())
                .description("Webhook notifications by result").tag("result", "failed").register(registry);
    }

    private static double pendingOrNaN(Approvals approvals,
                                       java.util.function.ToDoubleFunction<Approvals.PendingSummary> read) {
        return approvals.lastPending().map(read::applyAsDouble).orElse(Double.NaN);
    }

    /** Stops the worker pool; the approvals belong to the gateway's services. */
    @Override
    public void close() {
        executor.shutdownNow();
    }
}
