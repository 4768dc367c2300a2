package io.gatehouse.gateway.route;

import io.gatehouse.agent.AgentClient;
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
import io.gatehouse.gateway.admin.Readiness;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.engine.PipelineOrder;
import io.gatehouse.engine.Step;
import io.gatehouse.gateway.plugin.ProcessorRegistry;
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
import org.apache.camel.ServiceStatus;
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
        @Override
        public void close() {
            processors.forEach(GatewayRuntime::closeQuietly);
            adminAuth.close();
        }
    }

    private final CamelContext camel;
    private final Map<String, ListenerConfig> listeners;
    private final int adminPort;
    private final Created created;
    private final Map<String, AgentClient> agents;
    private final GatewayMetrics metrics;
    private final AuditAdmin audit;
    private final ApprovalAdmin approvals;
    private final GatewayServicesAssembly services;

    private GatewayRuntime(CamelContext camel, Map<String, ListenerConfig> listeners, int adminPort, Created created,
                           Map<String, AgentClient> agents, GatewayMetrics metrics, AuditAdmin audit,
                           ApprovalAdmin approvals, GatewayServicesAssembly services) {
        this.camel = camel;
        this.listeners = listeners;
        this.adminPort = adminPort;
        this.created = created;
        this.agents = agents;
        this.metrics = metrics;
        this.audit = audit;
        this.approvals = approvals;
        this.services = services;
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

        GatewayServicesAssembly services = GatewayServicesAssembly.open(config, clock);
        Created created;
        try {
            created = create(config, registry, listeners, services.services(), clock);
        } catch (RuntimeException | Error e) {
            services.close();
            throw e;
        }
        List<EndpointRoutes.Plan> plans = created.plans();

        Map<String, AgentClient> agents = new LinkedHashMap<>();
        GatewayMetrics metrics = new GatewayMetrics();
        AuditAdmin audit = new AuditAdmin(services.store(), services.auditWriter());
        ApprovalAdmin approvals = new ApprovalAdmin(services.approvals(), services.breakGlass());
        DefaultCamelContext camel = new DefaultCamelContext();
        try {
            for (AgentConnectionConfig agent : config.agents().values()) {
                agents.put(agent.name(), AgentConnections.connect(agent, config.dataDirectory()));
            }
            camel.getCamelContextExtension().setName("gatehouse");
            AgentComponent component = new AgentComponent();
            agents.forEach(component::registerAgent);
            camel.addComponent("agent", component);
            Consumer<PipelineExchange.CompletedExchange> finished = done -> {
                metrics.record(done);
                AccessLog.record(done);
            };
            camel.addRoutes(new EndpointRoutes(plans, listeners, MAX_RESPONSE_BYTES, finished));
            camel.addRoutes(new GrpcEndpointRoutes(plans, listeners, MAX_RESPONSE_BYTES, finished));
            Map<String, Function<Void, String>> checks = new LinkedHashMap<>();
            agents.forEach((name, client) -> checks.put(name, v -> AgentConnections.check(client)));
            Readiness readiness = new Readiness(() -> allStarted(camel, plans), checks, audit::readiness);
            camel.addRoutes(new AdminRoutes(config.admin().host(), adminPort, metrics, readiness::check));
            audit.attach(camel, config.admin(), adminPort, created.adminAuth(), metrics.registry(), clock);
            approvals.attach(camel, config.admin(), adminPort, created.adminAuth(), metrics.registry(), clock);
            camel.addRoutes(new GatewayJwksRoute(config.admin().host(), adminPort, services.signingKey()));
            camel.start();
        } catch (Exception | Error e) {
            camel.stop();
            created.close();
            agents.values().forEach(AgentClient::close);
            approvals.close();
            audit.close();
            services.close();
            throw e;
        }
        LOG.info("gateway started: {} endpoint(s), listeners {}, admin port {}", plans.size(),
                listeners.values().stream().map(l -> l.host() + ":" + l.port()).toList(), adminPort);
        return new GatewayRuntime(camel, listeners, adminPort, created, agents, metrics, audit, approvals, services);
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
            create(config, registry, config.listeners(), services.services(), Clock.systemUTC()).close();
        }
    }

    /**
     * Hands the factories their gateway.yaml sections and config directories, creates each endpoint's
     * processors, then the admin API's auth step.
     *
     * @throws ProcessorCreationException listing every refusal; whatever was created is closed
     */
    private static Created create(GatewayConfig config, ProcessorRegistry registry,
                                  Map<String, ListenerConfig> listeners, GatewayServices services, Clock clock) {
        List<GatewayProcessor> processors = new ArrayList<>();
        List<EndpointRoutes.Plan> plans = plan(config, registry, listeners, processors, services, clock);
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
                                                  Clock clock) {
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

    private static boolean allStarted(CamelContext camel, List<EndpointRoutes.Plan> plans) {
        if (camel.getStatus() != ServiceStatus.Started) {
            return false;
        }
        return plans.stream().allMatch(p -> camel.getRouteController().getRouteStatus(p.endpoint().id())
                == ServiceStatus.Started);
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

    /**
     * Stops the routes, closes the processors and agent clients, then the gateway's services (their last
     * audit events and checkpoint are written before the store closes).
     */
    @Override
    public void close() {
        camel.stop();
        created.close();
        agents.values().forEach(AgentClient::close);
        approvals.close();
        audit.close();
        services.close();
    }
}
