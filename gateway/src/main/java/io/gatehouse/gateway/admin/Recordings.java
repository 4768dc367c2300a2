package io.gatehouse.gateway.admin;

import io.gatehouse.config.GatewayConfig;
import io.gatehouse.config.StoreConfig;
import io.gatehouse.store.Store;
import io.gatehouse.store.StoreSettings;
import io.gatehouse.store.audit.AuditHealth;
import io.gatehouse.store.audit.AuditQuery;
import io.gatehouse.store.audit.AuditSettings;
import io.gatehouse.store.audit.AuditTrail;
import io.gatehouse.store.audit.AuditWriter;
import io.gatehouse.store.audit.FailurePolicy;
import io.gatehouse.store.audit.ReplicaIds;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The gateway's store and its audit trail: opened once per gateway, offered to processor factories
 * as services ({@link Store}, {@link AuditTrail}), reported in {@code /readyz} and {@code /metrics},
 * and closed last on shutdown (after the routes, so the final events and checkpoint are written).
 */
public final class Recordings implements AutoCloseable {

    private final Store store;
    private final AuditWriter writer;
    private final java.util.concurrent.ExecutorService adminQueries = java.util.concurrent.Executors
            .newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "gatehouse-admin-query");
                t.setDaemon(true);
                return t;
            });
    private volatile AdminAuth adminAuth;

    private Recordings(Store store, AuditWriter writer) {
        this.store = store;
        this.writer = writer;
    }

    /**
     * Opens the configured store (migrating its schema) and starts this replica's audit writer.
     *
     * @throws io.gatehouse.store.StoreException when the store cannot be reached or migrated
     */
    public static Recordings open(GatewayConfig config, Clock clock) {
        Store store = Store.open(settings(config.store()));
        try {
            return new Recordings(store, AuditWriter.start(store, auditSettings(config), clock));
        } catch (IOException | RuntimeException e) {
            store.close();
            if (e instanceof IOException io) {
                throw new UncheckedIOException(io);
            }
            throw (RuntimeException) e;
        }
    }

    /** The store's connection settings from config. */
    public static StoreSettings settings(StoreConfig config) {
        return new StoreSettings(config.url(), config.username(),
                config.password() == null ? null : config.password().reveal(), config.poolSize());
    }

    static AuditSettings auditSettings(GatewayConfig config) throws IOException {
        StoreConfig s = config.store();
        Path data = config.dataDirectory();
        String replica = s.replicaId() != null ? s.replicaId() : ReplicaIds.loadOrCreate(data);
        return AuditSettings.defaults(replica, data)
                .withFailurePolicy(s.onStoreFailure() == StoreConfig.OnFailure.SPOOL ? FailurePolicy.SPOOL
                        : FailurePolicy.FAIL_CLOSED)
                .withCheckpoints(s.checkpointEvery(), s.checkpointInterval());
    }

    /** What processors find in {@code EndpointContext.services()}. */
    public Map<Class<?>, Object> services() {
        return Map.of(Store.class, store, AuditTrail.class, writer);
    }

    /**
     * Services for checking a config without opening its store ({@code config validate}): the
     * trail refuses every append.
     */
    public static Map<Class<?>, Object> validationServices() {
        return Map.of(AuditTrail.class, AuditTrail.unavailable("config validate does not open the store"));
    }

    public Store store() {
        return store;
    }

    public AuditWriter writer() {
        return writer;
    }

    public AuditQuery query() {
        return new AuditQuery(store);
    }

    /**
     * Adds the admin API's recordings routes to the admin port and the audit meters to the registry.
     * Call after the processor factories received their gateway.yaml sections (the admin API's
     * {@code auth} step is created here).
     *
     * @throws io.gatehouse.spi.ConfigException when the auth factory refuses {@code admin.auth}
     */
    public void attach(org.apache.camel.CamelContext camel, io.gatehouse.config.AdminConfig admin, int adminPort,
                       io.gatehouse.gateway.plugin.ProcessorRegistry registry,
                       io.gatehouse.spi.GatewayServices services, MeterRegistry meters, Clock clock) throws Exception {
        adminAuth = AdminAuth.create(admin, registry, services, clock);
        camel.addRoutes(new AuditAdminRoutes(admin.host(), adminPort, this, adminAuth, adminQueries, clock));
        bind(meters);
    }

    /** For {@code /readyz}: whether records can be made durable, and how. */
    public Readiness.Part readiness() {
        return new Readiness.Part(problem() == null, describe());
    }

    /** For {@code /readyz}: null when records are durable (in the store or the spool), else why not. */
    public String problem() {
        AuditHealth h = writer.health();
        return h.accepting() ? null : h.detail();
    }

    /** For {@code /readyz}: {@code ok}, {@code spooling: ...} or {@code failed: ...}. */
    public String describe() {
        AuditHealth h = writer.health();
        return switch (h.state()) {
            case OK -> "ok";
            case SPOOLING -> "spooling: " + h.detail();
            case FAILED -> "failed: " + h.detail();
        };
    }

    /** Registers the audit writer's meters. */
    public void bind(MeterRegistry registry) {
        gauge(registry, "gatehouse.audit.queue", "Audit events waiting for the writer", w -> w.health().queued());
        gauge(registry, "gatehouse.audit.store.up", "1 while audit events go to the store, else 0",
                w -> w.health().state() == AuditHealth.State.OK ? 1 : 0);
        gauge(registry, "gatehouse.audit.spooling", "1 while audit events go to the local spool, else 0",
                w -> w.health().state() == AuditHealth.State.SPOOLING ? 1 : 0);
        counter(registry, "gatehouse.audit.events.committed", "Audit events made durable in the store",
                w -> w.health().committed());
        counter(registry, "gatehouse.audit.events.spooled", "Audit events made durable in the local spool",
                w -> w.health().spooled());
        counter(registry, "gatehouse.audit.events.failed", "Audit events that could not be made durable",
                w -> w.health().failed());
        counter(registry, "gatehouse.audit.events.rejected", "Audit events refused because the queue was full",
                w -> w.health().rejected());
        counter(registry, "gatehouse.audit.batches", "Audit transactions (group commits)", w -> w.health().batches());
    }

    private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<AuditWriter> f) {
        Gauge.builder(name, writer, f).description(description).tag("replica", writer.replicaId()).register(registry);
    }

    private void counter(MeterRegistry registry, String name, String description, ToDoubleFunction<AuditWriter> f) {
        FunctionCounter.builder(name, writer, f).description(description).tag("replica", writer.replicaId())
                .register(registry);
    }

    /** Writes what is queued and a last checkpoint, then closes the store. */
    @Override
    public void close() {
        adminQueries.shutdownNow();
        AdminAuth auth = adminAuth;
        if (auth != null) {
            auth.close();
        }
        try {
            writer.close();
        } finally {
            store.close();
        }
    }
}
