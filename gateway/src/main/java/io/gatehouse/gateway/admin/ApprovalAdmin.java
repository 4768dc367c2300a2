package io.gatehouse.gateway.admin;

import io.gatehouse.config.AdminConfig;
import io.gatehouse.gateway.plugin.ProcessorRegistry;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.ProcessorFactory;
import io.gatehouse.spi.approval.ApprovalEvent;
import io.gatehouse.store.approval.Approvals;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's approvals: the {@link Approvals} service over the store (offered to processor
 * factories), the approvals admin API on the admin port, and their meters. Opened after the store,
 * closed before it.
 */
public final class ApprovalAdmin implements AutoCloseable {

    private final Approvals approvals;
    private final ThreadPoolExecutor executor = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(256), r -> {
                Thread t = new Thread(r, "gatehouse-admin-approvals");
                t.setDaemon(true);
                return t;
            });
    private volatile GatewayProcessor auth;

    private ApprovalAdmin(Approvals approvals) {
        this.approvals = approvals;
    }

    /** Approvals in the store that {@code recordings} opened, audited in its trail. */
    public static ApprovalAdmin open(Recordings recordings, Clock clock) {
        return new ApprovalAdmin(Approvals.open(recordings.store(), recordings.writer(), clock,
                Approvals.Settings.DEFAULTS));
    }

    /** {@code store} plus the {@link Approvals} service. */
    public Map<Class<?>, Object> services(Map<Class<?>, Object> store) {
        Map<Class<?>, Object> all = new LinkedHashMap<>(store);
        all.put(Approvals.class, approvals);
        return all;
    }

    /** For checking a config without opening its store: approvals that refuse everything. */
    public static Map<Class<?>, Object> validationServices(Map<Class<?>, Object> store) {
        Map<Class<?>, Object> all = new LinkedHashMap<>(store);
        all.put(Approvals.class, Approvals.unavailable("config validate does not open the store"));
        return all;
    }

    public Approvals approvals() {
        return approvals;
    }

    /**
     * Adds the approvals admin API to the admin port and the approval meters to the registry. Call
     * after the processor factories received their gateway.yaml sections.
     *
     * @throws ConfigException when the auth factory refuses {@code admin.auth}
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public void attach(org.apache.camel.CamelContext camel, AdminConfig admin, int adminPort,
                       ProcessorRegistry registry, GatewayServices services, MeterRegistry meters, Clock clock)
            throws Exception {
        if (admin.auth().isPresent()) {
            ProcessorFactory factory = registry.find("auth").orElseThrow(() -> new ConfigException(null,
                    "admin.auth needs the 'auth' step, which no processor factory provides"));
            auth = factory.create(admin.auth().get(), new EndpointContext(AdminExchange.ENDPOINT, "raw",
                    "admin.approvals.auth", "/admin", clock, services));
        }
        camel.addRoutes(new ApprovalAdminRoutes(admin.host(), adminPort, approvals, auth, admin.auditors(),
                executor, clock));
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

    @Override
    public void close() {
        executor.shutdownNow();
        GatewayProcessor a = auth;
        if (a != null) {
            a.close();
        }
        approvals.close();
    }
}
