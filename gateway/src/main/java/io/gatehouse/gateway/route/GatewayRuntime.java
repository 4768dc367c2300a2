package io.gatehouse.gateway.route;

import io.gatehouse.agent.camel.AgentComponent;
import io.gatehouse.config.AgentConnectionConfig;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.EndpointConfig;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.config.ListenerConfig;
import io.gatehouse.config.StepConfig;
import io.gatehouse.gateway.admin.AccessLog;
import io.gatehouse.gateway.admin.AdminAuth;
import io.gatehouse.gateway.admin.AdminRoutes;
import io.gatehouse.gateway.admin.ApprovalAdmin;
import io.gatehouse.gateway.admin.AuditAdmin;
import io.gatehouse.gateway.admin.GatewayMetrics;
import io.gatehouse.gateway.admin.ProcessorMetrics;
import io.gatehouse.gateway.admin.Readiness;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.engine.PipelineOrder;
import io.gatehouse.engine.Step;
import io.gatehouse.gateway.GatewayAssembly;
import io.gatehouse.gateway.pipeline.EndpointPipeline;
import io.gatehouse.gateway.plugin.ProcessorRegistry;
import io.gatehouse.gateway.reload.ConfigHistory;
import io.gatehouse.gateway.reload.ConfigWatcher;
import io.gatehouse.gateway.reload.ConfigVersion;
import io.gatehouse.gateway.reload.ProcessorRetirement;
import io.gatehouse.gateway.reload.RestartKeys;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Set;
import io.gatehouse.gateway.protocol.ProtocolAdapter;
import io.gatehouse.gateway.protocol.ProtocolAdapters;
import io.gatehouse.gateway.identity.GatewayJwksRoute;
import io.gatehouse.gateway.services.GatewayServicesAssembly;
import io.gatehouse.gateway.services.ValidationServices;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.ProcessorFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.Consumer;
import java.util.Map;
import java.util.function.Function;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: one Camel context with a route per endpoint, the admin routes, and a client
 * per agent. Built from a validated {@link GatewayConfig}: the shared services are opened first, in
 * one place ({@link GatewayServicesAssembly}), then every endpoint's processors are created once
 * against them; nothing starts unless every processor could be created.
 */
public final class GatewayRuntime implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayRuntime.class);

    /** The most a non-streamed model answer may weigh in the gateway's memory. */
    public static final long MAX_RESPONSE_BYTES = 64L * 1024 * 1024;

    /** Processors refused their config: every error, formatted like the loader's. */
    public static final class ProcessorCreationException extends RuntimeException {
        private final List<String> errors;

        ProcessorCreationException(List<String> errors) {
            super(String.join("\n", errors));
            this.errors = List.copyOf(errors);
        }

        public List<String> errors() {
            return errors;
        }
    }

    /** What the factories created for one load: the endpoints' plans and processors, the admin API's auth step. */
    private record Created(List<EndpointRoutes.Plan> plans, List<GatewayProcessor> processors, AdminAuth adminAuth)
            implements AutoCloseable {
        /** Closes what this load created (processors reused from the running config are not in the list). */
        @Override
        public void close() {
            processors.forEach(GatewayRuntime::closeQuietly);
            adminAuth.close();
        }
    }

    /** Finds a running step a reload may keep instead of creating a new one, or returns null. */
    @FunctionalInterface
    private interface Reuse {
        Step find(EndpointConfig endpoint, StepConfig step, ProcessorFactory<?> factory);
    }

    /**
     * The config the gateway serves.
     *
     * @param trigger how it was applied: {@code start}, {@code admin-api}, {@code signal}, {@code watch}
     */
    public record Applied(GatewayConfig config, ConfigVersion version, Instant at, String by, String trigger) {
    }

    /** What a reload did. */
    public record ReloadResult(Outcome outcome, String version, String previousVersion, List<String> errors,
                               ConfigVersion.Diff files, List<String> endpointsAdded, List<String> endpointsRemoved,
                               List<String> endpointsChanged, List<String> endpointsUnchanged) {

        public enum Outcome { APPLIED, UNCHANGED, REFUSED }

        static ReloadResult refused(String running, List<String> errors) {
            return new ReloadResult(Outcome.REFUSED, running, running, List.copyOf(errors),
                    new ConfigVersion.Diff(List.of(), List.of(), List.of()), List.of(), List.of(), List.of(), List.of());
        }

        public boolean applied() {
            return outcome != Outcome.REFUSED;
        }
    }

    private final CamelContext camel;
    private final Map<String, ListenerConfig> listeners;
    private final int adminPort;
    private final ProcessorRegistry registry;
    private final AdminAuth adminAuth;
    private final EndpointTable table;
    private final AgentLinks agents;
    private final GatewayMetrics metrics;
    private final AuditAdmin audit;
    private final ApprovalAdmin approvals;
    private final GatewayServicesAssembly services;
    private final Clock clock;
    private final ConfigHistory history;
    private final ProcessorRetirement retirement = new ProcessorRetirement();
    /** Every processor a current pipeline uses, in creation order (guarded by this). */
    private final List<GatewayProcessor> live = new ArrayList<>();
    private volatile Applied applied;
    private volatile boolean draining;
    private volatile boolean closed;
    private final AccessLog accessLog;
    /** Null when tracing is off; closed last, so the spans of the exchanges ended by the stop are exported. */
    private io.gatehouse.gateway.tracing.GatewayTracing tracing;
    private ConfigWatcher watcher;

    private GatewayRuntime(CamelContext camel, Map<String, ListenerConfig> listeners, int adminPort,
                           ProcessorRegistry registry, AdminAuth adminAuth, EndpointTable table,
                           AgentLinks agents, GatewayMetrics metrics, AuditAdmin audit,
                           ApprovalAdmin approvals, GatewayServicesAssembly services, Clock clock, Applied applied,
                           List<GatewayProcessor> processors, AccessLog accessLog) {
        this.camel = camel;
        this.accessLog = accessLog;
        this.listeners = listeners;
        this.adminPort = adminPort;
        this.registry = registry;
        this.adminAuth = adminAuth;
        this.table = table;
        this.agents = agents;
        this.metrics = metrics;
        this.audit = audit;
        this.approvals = approvals;
        this.services = services;
        this.clock = clock;
        this.history = new ConfigHistory(services.store(), services.auditWriter());
        this.applied = applied;
        this.live.addAll(processors);
    }

    /**
     * Opens the gateway's services, creates every endpoint's processors (once), and starts the routes.
     *
     * @throws ProcessorCreationException when factories refuse their config: every refusal, formatted like
     *                                    {@code config validate}'s (the services are closed again)
     */
    public static GatewayRuntime start(GatewayConfig config, ProcessorRegistry registry) throws Exception {
        Map<String, ListenerConfig> listeners = new LinkedHashMap<>();
        for (Map.Entry<String, ListenerConfig> l : config.listeners().entrySet()) {
            listeners.put(l.getKey(), withPort(l.getValue(), resolvePort(l.getValue().port())));
        }
        int adminPort = resolvePort(config.admin().port());
        Clock clock = Clock.systemUTC();
        ConfigVersion version = ConfigVersion.of(config.directory());

        // Before the services: processors created next register their gauges in its registry (Metrics).
        GatewayMetrics metrics = new GatewayMetrics();
        GatewayServicesAssembly services = GatewayServicesAssembly.open(config, clock,
                new ProcessorMetrics(metrics.registry()));
        // Null when tracing is off: no SDK is built and no exchange carries a trace (docs/tracing.md).
        io.gatehouse.gateway.tracing.GatewayTracing tracing;
        try {
            tracing = io.gatehouse.gateway.tracing.GatewayTracing.open(config.tracing(), System::getenv);
        } catch (RuntimeException | Error e) {
            services.close();
            throw e;
        }
        Created created;
        try {
            created = create(config, registry, listeners, services.services(), clock, null);
        } catch (RuntimeException | Error e) {
            services.close();
            closeTracing(tracing);
            throw e;
        }
        List<EndpointRoutes.Plan> plans = created.plans();

        AgentLinks agents = null;
        AccessLog accessLog = new AccessLog();
        AuditAdmin audit = new AuditAdmin(services.store(), services.auditWriter());
        ApprovalAdmin approvals = new ApprovalAdmin(services.approvals(), audit.query(), services.breakGlass());
        DefaultCamelContext camel = new DefaultCamelContext();
        GatewayRuntime[] runtime = new GatewayRuntime[1];
        try {
            agents = AgentLinks.open(config, metrics.registry(),
                    services.services().find(io.gatehouse.spi.audit.AuditLog.class).orElse(null));
            camel.getCamelContextExtension().setName("gatehouse");
            AgentComponent component = new AgentComponent();
            agents.registerWith(component);
            camel.addComponent("agent", component);
            // The listeners record what they refuse before any endpoint (bounded: ListenerRefusals).
            io.gatehouse.gateway.http.GatewayNettyHttpComponent http =
                    new io.gatehouse.gateway.http.GatewayNettyHttpComponent();
            http.recordRefusalsTo(services.services().find(io.gatehouse.spi.audit.AuditLog.class).orElse(null), clock);
            camel.addComponent("netty-http", http);
            Consumer<PipelineExchange.CompletedExchange> finished = done -> {
                metrics.record(done);
                accessLog.record(done);
            };
            EndpointTable table = new EndpointTable(camel, listeners, MAX_RESPONSE_BYTES, finished, tracing);
            List<EndpointPipeline> pipelines = new ArrayList<>();
            for (EndpointRoutes.Plan plan : plans) {
                pipelines.add(table.pipeline(plan, version.version()));
            }
            table.start(pipelines);
            Map<String, Function<Void, String>> checks = agents.readinessChecks();
            Readiness readiness = new Readiness(table::allStarted, checks, audit::readiness);
            camel.addRoutes(new AdminRoutes(config.admin().host(), adminPort, metrics, () -> {
                GatewayRuntime self = runtime[0];
                return self != null && self.draining ? readiness.check().draining() : readiness.check();
            }));
            audit.attach(camel, config.admin(), adminPort, created.adminAuth(), metrics.registry(), clock);
            approvals.attach(camel, config.admin(), adminPort, created.adminAuth(), metrics.registry(), clock);
            camel.addRoutes(new GatewayJwksRoute(config.admin().host(), adminPort, services.signingKey()));
            camel.addRoutes(new ConfigAdminRoutes(config.admin().host(), adminPort, () -> runtime[0],
                    created.adminAuth(), audit.writer(), clock));
            camel.addRoutes(new ReplayAdminRoutes(config.admin().host(), adminPort, () -> runtime[0],
                    created.adminAuth(), audit.writer(), audit.query(), clock));
            if (config.admin().console().isPresent()) {
                io.gatehouse.store.breakglass.BreakGlassStore breakGlass = services.breakGlass();
                camel.addRoutes(new io.gatehouse.gateway.console.ConsoleRoutes(config.admin().host(), adminPort,
                        config.admin().console().get(), created.adminAuth(), clock,
                        services.approvals() == null ? null : services.approvals()::watch,
                        breakGlass == null || !breakGlass.settings().enabled() ? null
                                : breakGlass.settings().reviewers()));
            }
            camel.start();
            Applied applied = new Applied(config, version, clock.instant(), "gateway start", "start");
            runtime[0] = new GatewayRuntime(camel, listeners, adminPort, registry, created.adminAuth(), table, agents,
                    metrics, audit, approvals, services, clock, applied, created.processors(), accessLog);
            runtime[0].tracing = tracing;
        } catch (Exception | Error e) {
            camel.stop();
            created.close();
            if (agents != null) {
                agents.close();
            }
            approvals.close();
            audit.close();
            services.close();
            accessLog.close();
            closeTracing(tracing);
            throw e;
        }
        runtime[0].recordApplied(null, runtime[0].applied, endpointChanges(List.of(), plans));
        if (config.lifecycle().watch()) {
            GatewayRuntime self = runtime[0];
            self.watcher = ConfigWatcher.start(config.directory(), config.lifecycle().watchDelay(),
                    () -> self.reload("file watch", "watch"));
        }
        LOG.info("gateway started: {} endpoint(s), listeners {}, admin port {}, config {}", plans.size(),
                listeners.values().stream().map(l -> l.host() + ":" + l.port()).toList(), adminPort,
                version.shortVersion());
        return runtime[0];
    }

    /**
     * Applies the config directory as it is now, or refuses it whole. The directory is loaded and validated
     * like {@code config validate} does; keys that need a restart are refused ({@link RestartKeys}); every
     * processor of every changed step is created before anything is switched; then each endpoint's pipeline
     * is swapped in one write. Steps whose config (and whose factory's gateway.yaml section and directory)
     * did not change keep their processor and its state. Exchanges in flight finish on the pipeline they
     * opened on; the processors no pipeline uses any more are closed once those exchanges are done.
     * Reloads are applied one at a time.
     *
     * @param by      who asked (a user name, {@code SIGHUP}, {@code file watch})
     * @param trigger {@code admin-api}, {@code signal}, {@code watch}
     */
    public synchronized ReloadResult reload(String by, String trigger) {
        Applied running = applied;
        if (closed || draining) {
            return ReloadResult.refused(running.version().version(),
                    List.of("the gateway is shutting down; nothing was reloaded"));
        }
        Path directory = running.config().directory();
        ConfigVersion version;
        try {
            version = ConfigVersion.of(directory);
        } catch (RuntimeException e) {
            return ReloadResult.refused(running.version().version(), List.of(directory + ": " + e.getMessage()));
        }
        GatewayAssembly.Loaded loaded = GatewayAssembly.loadConfig(directory, System::getenv, registry);
        if (!loaded.errors().isEmpty()) {
            LOG.warn("config reload refused ({} error(s)); still serving {}", loaded.errors().size(),
                    running.version().shortVersion());
            return refused(running, loaded.errors());
        }
        GatewayConfig next = loaded.config();
        List<String> restart = RestartKeys.changed(running.config(), next);
        if (!restart.isEmpty()) {
            LOG.warn("config reload refused: {} need(s) a restart; still serving {}", restart,
                    running.version().shortVersion());
            return refused(running, RestartKeys.errors(restart));
        }
        if (version.version().equals(running.version().version())) {
            return new ReloadResult(ReloadResult.Outcome.UNCHANGED, version.version(), version.version(), List.of(),
                    version.diff(running.version()), List.of(), List.of(), List.of(),
                    table.current().stream().map(EndpointPipeline::id).toList());
        }
        List<EndpointPipeline> before = table.current();
        Map<String, EndpointPipeline> beforeById = new LinkedHashMap<>();
        before.forEach(p -> beforeById.put(p.id(), p));
        Created created;
        try {
            created = create(next, registry, listeners, services.services(), clock,
                    reuse(running, next, version, beforeById));
        } catch (ProcessorCreationException e) {
            LOG.warn("config reload refused ({} error(s)); still serving {}", e.errors().size(),
                    running.version().shortVersion());
            return refused(running, e.errors());
        } catch (RuntimeException e) {
            LOG.error("config reload failed; still serving {}", running.version().shortVersion(), e);
            return ReloadResult.refused(running.version().version(), List.of("the reload failed: " + e));
        }
        created.adminAuth().close(); // admin.* needs a restart: the running admin API keeps its auth
        List<EndpointPipeline> pipelines = new ArrayList<>();
        for (EndpointRoutes.Plan plan : created.plans()) {
            pipelines.add(table.pipeline(plan, version.version()));
        }
        try {
            table.apply(pipelines);
        } catch (Exception e) {
            created.processors().forEach(GatewayRuntime::closeQuietly);
            LOG.error("config reload failed while adding routes; still serving {}", running.version().shortVersion(), e);
            return ReloadResult.refused(running.version().version(), List.of("the reload failed: " + e));
        }
        Set<GatewayProcessor> nowLive = Collections.newSetFromMap(new IdentityHashMap<>());
        List<GatewayProcessor> nowLiveInOrder = new ArrayList<>();
        pipelines.forEach(p -> p.steps().forEach(s -> {
            if (nowLive.add(s.processor())) {
                nowLiveInOrder.add(s.processor());
            }
        }));
        List<GatewayProcessor> dropped = new ArrayList<>();
        live.forEach(p -> {
            if (!nowLive.contains(p)) {
                dropped.add(p);
            }
        });
        live.clear();
        live.addAll(nowLiveInOrder);
        retirement.retire(before, dropped);
        Applied now = new Applied(next, version, clock.instant(), by, trigger);
        applied = now;
        Map<String, List<String>> changes = endpointChanges(before, pipelines, beforeById);
        recordApplied(running.version(), now, changes);
        LOG.info("config reloaded by {} ({}): {} -> {}; endpoints added {}, removed {}, changed {}; {} processor(s)"
                        + " kept, {} created, {} to close once idle", by, trigger, running.version().shortVersion(),
                version.shortVersion(), changes.get("added"), changes.get("removed"), changes.get("changed"),
                nowLive.size() - created.processors().size(), created.processors().size(), dropped.size());
        return new ReloadResult(ReloadResult.Outcome.APPLIED, version.version(), running.version().version(),
                List.of(), version.diff(running.version()), changes.get("added"), changes.get("removed"),
                changes.get("changed"), changes.get("unchanged"));
    }

    private static ReloadResult refused(Applied running, List<String> errors) {
        errors.forEach(e -> LOG.warn("config reload refused: {}", e));
        return ReloadResult.refused(running.version().version(), errors);
    }

    /** A step is kept when its endpoint's id, protocol and path, its own config and its factory's inputs are as before. */
    private Reuse reuse(Applied running, GatewayConfig next, ConfigVersion version,
                        Map<String, EndpointPipeline> before) {
        Map<ProcessorFactory<?>, Boolean> unchanged = new IdentityHashMap<>();
        return (endpoint, step, factory) -> {
            EndpointPipeline old = before.get(endpoint.id());
            if (old == null || !Objects.equals(old.endpoint().protocol(), endpoint.protocol())
                    || !Objects.equals(old.endpoint().path(), endpoint.path())) {
                return null;
            }
            if (!unchanged.computeIfAbsent(factory, f -> factoryInputsUnchanged(f, running, next, version))) {
                return null;
            }
            StepConfig oldStep = old.endpoint().pipeline().stream().filter(s -> s.nodeId().equals(step.nodeId()))
                    .findFirst().orElse(null);
            if (oldStep == null || !oldStep.id().equals(step.id()) || !oldStep.config().equals(step.config())) {
                return null;
            }
            return old.steps().stream().filter(s -> s.nodeId().equals(step.nodeId())).findFirst().orElse(null);
        };
    }

    /** Whether the gateway.yaml sections and config directories a factory owns are as before. */
    private boolean factoryInputsUnchanged(ProcessorFactory<?> factory, Applied running, GatewayConfig next,
                                           ConfigVersion version) {
        for (Map.Entry<String, ProcessorFactory<?>> owner : registry.sectionOwners().entrySet()) {
            if (owner.getValue() == factory && !Objects.equals(running.config().section(owner.getKey()),
                    next.section(owner.getKey()))) {
                return false;
            }
        }
        for (Map.Entry<String, ProcessorFactory<?>> owner : registry.directoryOwners().entrySet()) {
            if (owner.getValue() == factory && !version.sameUnder(owner.getKey(), running.version())) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, List<String>> endpointChanges(List<EndpointPipeline> before,
                                                             List<EndpointRoutes.Plan> plans) {
        Map<String, List<String>> changes = new LinkedHashMap<>();
        changes.put("added", plans.stream().map(p -> p.endpoint().id()).toList());
        changes.put("removed", List.of());
        changes.put("changed", List.of());
        changes.put("unchanged", List.of());
        return changes;
    }

    private static Map<String, List<String>> endpointChanges(List<EndpointPipeline> before,
                                                             List<EndpointPipeline> after,
                                                             Map<String, EndpointPipeline> beforeById) {
        List<String> added = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        List<String> same = new ArrayList<>();
        Set<String> ids = new java.util.HashSet<>();
        for (EndpointPipeline p : after) {
            ids.add(p.id());
            EndpointPipeline old = beforeById.get(p.id());
            if (old == null) {
                added.add(p.id());
            } else if (sameSteps(old, p) && sameShape(old, p)) {
                same.add(p.id());
            } else {
                changed.add(p.id());
            }
        }
        List<String> removed = before.stream().map(EndpointPipeline::id).filter(id -> !ids.contains(id)).toList();
        Map<String, List<String>> changes = new LinkedHashMap<>();
        changes.put("added", added);
        changes.put("removed", removed);
        changes.put("changed", changed);
        changes.put("unchanged", same);
        return changes;
    }

    private static boolean sameSteps(EndpointPipeline a, EndpointPipeline b) {
        if (a.steps().size() != b.steps().size()) {
            return false;
        }
        for (int i = 0; i < a.steps().size(); i++) {
            if (a.steps().get(i).processor() != b.steps().get(i).processor()) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameShape(EndpointPipeline a, EndpointPipeline b) {
        EndpointConfig x = a.endpoint();
        EndpointConfig y = b.endpoint();
        return Objects.equals(x.listener(), y.listener()) && Objects.equals(x.path(), y.path())
                && x.models().equals(y.models()) && x.serverCalls() == y.serverCalls()
                && x.protocol().equals(y.protocol()) && x.target().equals(y.target());
    }

    /** Writes the applied version to the audit chain and this replica's row; a failure is logged, not fatal. */
    private void recordApplied(ConfigVersion previous, Applied now, Map<String, List<String>> changes) {
        ObjectNode endpoints = io.gatehouse.store.audit.CanonicalJson.object();
        changes.forEach((k, v) -> {
            var array = endpoints.putArray(k);
            v.forEach(array::add);
        });
        try {
            history.applied(now.version(), previous, now.by(), now.trigger(), now.at(),
                    now.config().directory().toString(), endpoints).whenComplete((ok, e) -> {
                        if (e != null) {
                            LOG.warn("config version {} is serving, but its audit record failed: {}",
                                    now.version().shortVersion(), e.getMessage());
                        }
                    });
        } catch (RuntimeException e) {
            LOG.warn("config version {} is serving, but its audit record failed: {}", now.version().shortVersion(),
                    e.getMessage());
        }
    }

    /** The config being served. */
    public Applied applied() {
        return applied;
    }

    /** The pipelines serving now, one per endpoint. */
    public List<EndpointPipeline> pipelines() {
        return table.current();
    }

    /** Exchanges still in flight on pipelines a reload replaced. */
    public long retiredInFlight() {
        return retirement.inFlight();
    }

    /** This replica's id and the config version of every replica on the store. */
    public ConfigHistory history() {
        return history;
    }

    public boolean draining() {
        return draining;
    }

    /**
     * Drains before a stop: {@code /readyz} answers 503 at once; after {@code delay} every endpoint refuses
     * new requests with 503 (recorded, {@code Connection: close}); then waits up to {@code timeout} for the
     * exchanges in flight, streams included. Returns the number still in flight when it stopped waiting
     * ({@link #close} then ends them).
     */
    public long drain(Duration delay, Duration timeout) throws InterruptedException {
        draining = true;
        LOG.info("draining: /readyz answers 503; new requests refused in {} ms; in-flight exchanges get up to {} s",
                delay.toMillis(), timeout.toSeconds());
        Thread.sleep(delay.toMillis());
        synchronized (this) {
            table.refuseNew();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        long inFlight;
        while ((inFlight = inFlight()) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        if (inFlight > 0) {
            LOG.warn("drain timeout ({} s): {} exchange(s) still in flight are ended now", timeout.toSeconds(),
                    inFlight);
        } else {
            LOG.info("drained: no exchange in flight");
        }
        return inFlight;
    }

    /** Gives exchanges cut by the stop a moment to complete, so their records reach the audit writer. */
    private void awaitCompletions() {
        long deadline = System.nanoTime() + 3_000_000_000L;
        try {
            while (inFlight() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (inFlight() > 0) {
            LOG.warn("{} exchange(s) did not complete when the gateway stopped; the audit chain closes their"
                    + " records as incomplete at the next start", inFlight());
        }
    }

    /** Exchanges in flight on every pipeline, current and replaced. */
    public long inFlight() {
        return table.current().stream().mapToLong(EndpointPipeline::inFlightCount).sum() + retirement.inFlight();
    }

    /**
     * Creates (then closes) every endpoint's processors and the admin API's auth step, against services
     * that open no store, so {@code config validate} reports what factories refuse as well as what the
     * loader refuses. {@code serve} does not call this: {@link #start} reports the same errors.
     *
     * @throws ProcessorCreationException listing every refusal
     */
    public static void checkProcessors(GatewayConfig config, ProcessorRegistry registry) {
        try (ValidationServices services = ValidationServices.of(config.dataDirectory())) {
            create(config, registry, config.listeners(), services.services(), Clock.systemUTC(), null).close();
        }
    }

    /**
     * Hands the factories their gateway.yaml sections and config directories, creates each endpoint's
     * processors, then the admin API's auth step.
     *
     * @throws ProcessorCreationException listing every refusal; whatever was created is closed
     */
    private static Created create(GatewayConfig config, ProcessorRegistry registry,
                                  Map<String, ListenerConfig> listeners, GatewayServices services, Clock clock,
                                  Reuse reuse) {
        List<GatewayProcessor> processors = new ArrayList<>();
        List<EndpointRoutes.Plan> plans = plan(config, registry, listeners, processors, services, clock, reuse);
        AdminAuth adminAuth;
        try {
            adminAuth = AdminAuth.create(config.admin(), registry, services, clock);
        } catch (ConfigException e) {
            processors.forEach(GatewayRuntime::closeQuietly);
            throw new ProcessorCreationException(List.of(ConfigLoader.GATEWAY_FILE + ": field 'admin.auth"
                    + (e.field() == null ? "" : "." + e.field()) + "': " + e.getMessage()));
        } catch (RuntimeException | Error e) {
            processors.forEach(GatewayRuntime::closeQuietly);
            throw e;
        }
        return new Created(plans, processors, adminAuth);
    }

    /**
     * Hands each factory-owned gateway.yaml section, then each factory-owned config directory's files,
     * to its factory, before any processor is created.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void configureGateway(GatewayConfig config, ProcessorRegistry registry, GatewayServices services,
                                         Clock clock, List<String> errors) {
        Map<String, String> endpoints = new LinkedHashMap<>();
        config.endpoints().forEach(e -> endpoints.put(e.id(), e.protocol()));
        GatewayContext context = new GatewayContext(config.dataDirectory(), clock, services, endpoints);
        registry.sectionOwners().forEach((key, factory) -> config.section(key).ifPresent(section -> {
            try {
                ((ProcessorFactory) factory).configureGateway(section, context);
            } catch (ConfigException e) {
                errors.add("gateway.yaml: " + (e.field() == null ? "section '" + key + "'" : "field '" + key + "."
                        + e.field() + "'") + ": " + e.getMessage());
            }
        }));
        registry.directoryOwners().forEach((name, factory) -> {
            try {
                factory.configureDirectory(config.files(name), context);
            } catch (io.gatehouse.spi.ConfigFileException e) {
                errors.add(e.format());
            } catch (ConfigException e) {
                errors.add(name + "/: " + e.getMessage());
            }
        });
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static List<EndpointRoutes.Plan> plan(GatewayConfig config, ProcessorRegistry registry,
                                                  Map<String, ListenerConfig> listeners,
                                                  List<GatewayProcessor> created, GatewayServices services,
                                                  Clock clock, Reuse reuse) {
        List<String> errors = new ArrayList<>();
        configureGateway(config, registry, services, clock, errors);
        List<EndpointRoutes.Plan> plans = new ArrayList<>();
        for (EndpointConfig ep : config.endpoints()) {
            ProtocolAdapter adapter = ProtocolAdapters.forName(ep.protocol()).orElseThrow(() ->
                    new IllegalStateException("endpoint '" + ep.id() + "' has unknown protocol " + ep.protocol()));
            checkOrder(ep, registry, errors);
            List<Step> steps = new ArrayList<>();
            for (StepConfig step : ep.pipeline()) {
                ProcessorFactory factory = registry.find(step.id()).orElseThrow(() ->
                        new IllegalStateException("no processor factory for step '" + step.id() + "'"));
                Step kept = reuse == null ? null : reuse.find(ep, step, factory);
                if (kept != null) {
                    steps.add(kept); // unchanged: keeps its processor and its state (buckets, caches)
                    continue;
                }
                EndpointContext context = new EndpointContext(ep.id(), ep.protocol(), step.nodeId(),
                        ep.path() != null ? ep.path() : GrpcEndpointRoutes.GRPC_PATH, clock, services);
                try {
                    GatewayProcessor processor = factory.create(step.config(), context);
                    if (processor == null) {
                        errors.add(ep.file() + ":" + step.line() + ":" + step.column() + ": endpoint '" + ep.id()
                                + "' step '" + step.id() + "': factory " + factory.getClass().getName()
                                + " returned null from create");
                        continue;
                    }
                    created.add(processor);
                    steps.add(new Step(step.id(), step.nodeId(), ep.id(), factory.phase(), processor));
                } catch (ConfigException e) {
                    errors.add(ep.file() + ":" + step.line() + ":" + step.column() + ": endpoint '" + ep.id()
                            + "' step '" + step.id() + "'" + (e.field() == null ? "" : " field '" + e.field() + "'")
                            + ": " + e.getMessage());
                }
            }
            plans.add(new EndpointRoutes.Plan(ep, listeners.get(ep.listener()), adapter, steps));
        }
        if (!errors.isEmpty()) {
            created.forEach(GatewayRuntime::closeQuietly);
            throw new ProcessorCreationException(errors);
        }
        return plans;
    }

    /** The pipeline's order rules ({@link PipelineOrder}), reported at the misplaced step's line. */
    private static void checkOrder(EndpointConfig ep, ProcessorRegistry registry, List<String> errors) {
        List<Step> declared = new ArrayList<>();
        for (StepConfig step : ep.pipeline()) {
            registry.find(step.id()).ifPresent(factory ->
                    declared.add(new Step(step.id(), step.nodeId(), ep.id(), factory.phase(), null)));
        }
        if (declared.size() != ep.pipeline().size()) {
            return; // an unknown step is reported by the loader
        }
        for (PipelineOrder.Violation v : PipelineOrder.check(declared)) {
            StepConfig step = ep.pipeline().get(v.index());
            errors.add(ep.file() + ":" + step.line() + ":" + step.column() + ": endpoint '" + ep.id() + "' step '"
                    + step.id() + "': " + v.message());
        }
    }

    private static ListenerConfig withPort(ListenerConfig l, int port) {
        return l.withPort(port);
    }

    /** Port 0 means "any free port" (tests): chosen here because routes sharing a port must name it. */
    private static int resolvePort(int port) throws IOException {
        if (port != 0) {
            return port;
        }
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void closeQuietly(GatewayProcessor processor) {
        try {
            processor.close();
        } catch (RuntimeException e) {
            LOG.warn("processor {} failed to close", processor.getClass().getName(), e);
        }
    }

    public CamelContext camel() {
        return camel;
    }

    /** The port a listener actually bound. */
    public int port(String listener) {
        return listeners.get(listener).port();
    }

    public int adminPort() {
        return adminPort;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    /** The port of the agent tunnel dialling agents connect to, or -1 when none is configured. */
    public int agentTunnelPort() {
        return agents.tunnelPort();
    }

    /** Every agent name with its agents, listening and dial-out, and whether each takes calls now (blocks). */
    public com.fasterxml.jackson.databind.node.ArrayNode agentStatus() {
        return agents.status();
    }

    /** How many dialling agents serving {@code agent} are attached now. */
    public long dialledInAgents(String agent) {
        return agents.sessions().stream().filter(s -> s.agent().equals(agent)).count();
    }

    /**
     * Stops the routes, closes the processors and agent clients, then the gateway's services (their last
     * audit events and checkpoint are written before the store closes).
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // What is still in flight (a drain timed out, or no drain) is ended: the listeners close their
        // connections, and each exchange completes (and is recorded) as its stream or wait breaks off.
        camel.getShutdownStrategy().setTimeout(5);
        camel.getShutdownStrategy().setTimeUnit(java.util.concurrent.TimeUnit.SECONDS);
        if (watcher != null) {
            watcher.close();
        }
        camel.stop();
        awaitCompletions();
        accessLog.close();
        retirement.close();
        live.forEach(GatewayRuntime::closeQuietly);
        adminAuth.close();
        agents.close();
        approvals.close();
        audit.close();
        services.close();
        closeTracing(tracing);
    }

    private static void closeTracing(io.gatehouse.gateway.tracing.GatewayTracing tracing) {
        if (tracing != null) {
            tracing.close();
        }
    }
}
