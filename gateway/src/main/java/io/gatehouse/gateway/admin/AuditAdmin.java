package io.gatehouse.gateway.admin;

import io.gatehouse.config.AdminConfig;
import io.gatehouse.store.Store;
import io.gatehouse.store.audit.AuditHealth;
import io.gatehouse.store.audit.AuditQuery;
import io.gatehouse.store.audit.AuditWriter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The recordings part of the admin side: the admin API's sessions and audit routes, the audit writer's
 * meters and its part of {@code /readyz}. It uses the store and the audit writer the gateway's services
 * opened; it opens and closes neither (only its own query pool).
 */
public final class AuditAdmin implements AutoCloseable {

    private final Store store;
    private final AuditWriter writer;
    private final ExecutorService adminQueries = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "gatehouse-admin-query");
        t.setDaemon(true);
        return t;
    });

    public AuditAdmin(Store store, AuditWriter writer) {
        this.store = store;
        this.writer = writer;
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

    /** Adds the admin API's recordings routes to the admin port and the audit meters to the registry. */
    public void attach(org.apache.camel.CamelContext camel, AdminConfig admin, int adminPort, AdminAuth auth,
                       MeterRegistry meters, Clock clock) throws Exception {
        camel.addRoutes(new AuditAdminRoutes(admin.host(), adminPort, this, auth, adminQueries, clock));
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
        seconds(registry, "gatehouse.audit.writer.busy", "Time the audit writer thread spent on batches and housekeeping; its rate is"
                + " the share of time busy, and every recorded exchange queues for it twice", AuditWriter::busyNanos);
        seconds(registry, "gatehouse.audit.store.commit", "Time the audit writer spent committing batches to the"
                + " store", AuditWriter::storeNanos);
        seconds(registry, "gatehouse.audit.journal.sync", "Time the audit writer spent appending batches to the H2"
                + " journal and forcing them to disk (fdatasync)", AuditWriter::journalNanos);
    }

    private void seconds(MeterRegistry registry, String name, String description, ToLongFunction<AuditWriter> nanos) {
        FunctionCounter.builder(name, writer, w -> nanos.applyAsLong(w) / 1e9).description(description)
                .baseUnit("seconds").tag("replica", writer.replicaId()).register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<AuditWriter> f) {
        Gauge.builder(name, writer, f).description(description).tag("replica", writer.replicaId()).register(registry);
    }

    private void counter(MeterRegistry registry, String name, String description, ToDoubleFunction<AuditWriter> f) {
        FunctionCounter.builder(name, writer, f).description(description).tag("replica", writer.replicaId())
                .register(registry);
    }

    /** Stops the admin query pool; the writer and the store belong to the gateway's services. */
    @Override
    public void close() {
        adminQueries.shutdownNow();
    }
}
