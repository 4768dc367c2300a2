package io.gatehouse.gateway.route;

import io.gatehouse.config.ListenerConfig;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.gateway.grpc.GrpcDispatcher;
import io.gatehouse.gateway.grpc.GrpcForward;
import io.gatehouse.gateway.grpc.GrpcListeners;
import io.gatehouse.gateway.pipeline.EndpointAnswers;
import io.gatehouse.gateway.pipeline.EndpointPipeline;
import io.gatehouse.gateway.pipeline.EndpointSlot;
import io.gatehouse.gateway.pipeline.LazyAgentCall;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.grpc.GrpcEndpoint;
import org.apache.camel.support.service.ServiceHelper;

/**
 * The gateway's routes and what they serve: a {@link Mount} per listener path (HTTP) or per gRPC endpoint,
 * each with the slot of its current {@link EndpointPipeline}, and a dispatcher per gRPC listener. Built
 * once at start; a reload {@linkplain #apply applies} a new set of pipelines: routes for new mounts are
 * added, slots are swapped, mounts no endpoint serves any more are emptied, and gRPC dispatchers are
 * retargeted. Routes are never removed while the gateway runs, so an exchange in flight never loses its
 * route. Used by one thread at a time (start, then reloads, which the runtime serialises).
 */
final class EndpointTable {

    private final CamelContext camel;
    private final Map<String, ListenerConfig> listeners;
    private final long maxResponseBytes;
    private final Consumer<PipelineExchange.CompletedExchange> completionListener;
    /** Null when tracing is off. */
    private final io.gatehouse.gateway.tracing.GatewayTracing tracing;
    private final Map<String, Mount> mounts = new LinkedHashMap<>();
    private final Map<String, GrpcDispatcher> dispatchers = new LinkedHashMap<>();
    private final Map<String, AsyncProducer> grpcRoutes = new HashMap<>();
    private final Map<String, AsyncProcessor> agentCalls = new HashMap<>();

    EndpointTable(CamelContext camel, Map<String, ListenerConfig> listeners, long maxResponseBytes,
                  Consumer<PipelineExchange.CompletedExchange> completionListener) {
        this(camel, listeners, maxResponseBytes, completionListener, null);
    }

    /** @param tracing the gateway's traces; null when tracing is off */
    EndpointTable(CamelContext camel, Map<String, ListenerConfig> listeners, long maxResponseBytes,
                  Consumer<PipelineExchange.CompletedExchange> completionListener,
                  io.gatehouse.gateway.tracing.GatewayTracing tracing) {
        this.tracing = tracing;
        this.camel = camel;
        this.listeners = listeners;
        this.maxResponseBytes = maxResponseBytes;
        this.completionListener = completionListener;
    }

    /** The pipeline of one planned endpoint, with this table's (shared) agent call for its target. */
    EndpointPipeline pipeline(EndpointRoutes.Plan plan, String version) {
        boolean grpc = plan.listener().grpc();
        String uri = EndpointRoutes.agentUri(plan.endpoint());
        AsyncProcessor agent = agentCalls.computeIfAbsent((grpc ? "grpc " : "http ") + uri, k -> grpc
                ? started(new GrpcForward(camel.getEndpoint(uri))) : new LazyAgentCall(uri));
        EndpointAnswers answers = grpc ? EndpointAnswers.PROBLEMS : EndpointAnswers.of(plan.adapter().openAiErrors());
        return new EndpointPipeline(plan.endpoint(), version, plan.adapter(), plan.steps(), answers, agent);
    }

    /** The pipelines of a start: every route, the root mount of each HTTP listener and the gRPC listeners. */
    void start(List<EndpointPipeline> pipelines) throws Exception {
        List<Mount> added = new ArrayList<>();
        for (EndpointPipeline p : pipelines) {
            added.add(mount(p));
        }
        for (Map.Entry<String, ListenerConfig> l : listeners.entrySet()) {
            String root = Mount.httpKey(l.getKey(), "/");
            if (!l.getValue().grpc() && !mounts.containsKey(root)) {
                Mount mount = new Mount(root, uniqueRouteId("gatehouse-not-found-" + l.getKey()), l.getKey(),
                        l.getValue(), "/", null, new EndpointSlot(null));
                mounts.put(root, mount);
                added.add(mount);
            }
        }
        camel.addRoutes(new EndpointRoutes(maxResponseBytes, added, completionListener, tracing));
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() throws Exception {
                for (Map.Entry<String, ListenerConfig> l : listeners.entrySet()) {
                    if (!l.getValue().grpc()) {
                        continue;
                    }
                    GrpcDispatcher dispatcher = new GrpcDispatcher(l.getKey(), targets(l.getKey(), pipelines),
                            getContext());
                    dispatchers.put(l.getKey(), dispatcher);
                    GrpcEndpoint endpoint = GrpcListeners.endpoint(getContext(), l.getValue());
                    from(endpoint).routeId("gatehouse-grpc-" + l.getKey())
                            .routeDescription("gRPC listener '" + l.getKey() + "' (inference.GRPCInferenceService)")
                            .process(dispatcher).id("gatehouse-grpc-" + l.getKey() + ".dispatch");
                }
            }
        });
    }

    /**
     * Serves these pipelines from now on: adds the routes of new mounts (before anything is swapped, so a
     * failure leaves the old config serving), then swaps every slot, empties the slots of mounts no
     * endpoint takes any more, and retargets the gRPC dispatchers.
     */
    void apply(List<EndpointPipeline> pipelines) throws Exception {
        Map<String, EndpointPipeline> byKey = new LinkedHashMap<>();
        for (EndpointPipeline p : pipelines) {
            byKey.put(key(p), p);
        }
        List<Mount> added = new ArrayList<>();
        for (Map.Entry<String, EndpointPipeline> e : byKey.entrySet()) {
            if (!mounts.containsKey(e.getKey())) {
                added.add(newMount(e.getValue(), null));
            }
        }
        if (!added.isEmpty()) {
            camel.addRoutes(new EndpointRoutes(maxResponseBytes, added, completionListener, tracing));
            added.forEach(m -> mounts.put(m.key(), m));
        }
        for (Mount mount : mounts.values()) {
            mount.slot().set(byKey.get(mount.key()));
        }
        for (Map.Entry<String, GrpcDispatcher> d : dispatchers.entrySet()) {
            d.getValue().retarget(targets(d.getKey(), pipelines));
        }
    }

    /** A drain: every endpoint refuses new exchanges from now on (503, recorded); those in flight go on. */
    void refuseNew() {
        for (Mount mount : mounts.values()) {
            EndpointPipeline p = mount.slot().current();
            if (p != null && !p.closing()) {
                mount.slot().set(p.refusingNew());
            }
        }
    }

    /** Whether every route is started (for {@code /readyz}). */
    boolean allStarted() {
        if (camel.getStatus() != ServiceStatus.Started) {
            return false;
        }
        return mounts.values().stream().allMatch(m -> camel.getRouteController().getRouteStatus(m.routeId())
                == ServiceStatus.Started);
    }

    /** The pipelines serving now, in mount order. */
    List<EndpointPipeline> current() {
        List<EndpointPipeline> current = new ArrayList<>();
        for (Mount m : mounts.values()) {
            EndpointPipeline p = m.slot().current();
            if (p != null) {
                current.add(p);
            }
        }
        return current;
    }

    /** The mounts for the routes {@link EndpointRoutes} builds outside a runtime (tests, embedding). */
    static List<Mount> standalone(List<EndpointRoutes.Plan> plans, Map<String, ListenerConfig> listeners,
                                  String version) {
        List<Mount> list = new ArrayList<>();
        Set<String> keys = new LinkedHashSet<>();
        for (EndpointRoutes.Plan plan : plans) {
            EndpointAnswers answers = plan.listener().grpc() ? EndpointAnswers.PROBLEMS
                    : EndpointAnswers.of(plan.adapter().openAiErrors());
            EndpointPipeline p = new EndpointPipeline(plan.endpoint(), version, plan.adapter(), plan.steps(), answers,
                    new LazyAgentCall(EndpointRoutes.agentUri(plan.endpoint())));
            String key = key(p);
            keys.add(key);
            list.add(new Mount(key, p.id(), p.endpoint().listener(), plan.listener(), pathOf(p), p.id(),
                    new EndpointSlot(p)));
        }
        for (Map.Entry<String, ListenerConfig> l : listeners.entrySet()) {
            String root = Mount.httpKey(l.getKey(), "/");
            if (!l.getValue().grpc() && !keys.contains(root)) {
                list.add(new Mount(root, "gatehouse-not-found-" + l.getKey(), l.getKey(), l.getValue(), "/", null,
                        new EndpointSlot(null)));
            }
        }
        return list;
    }

    private Mount mount(EndpointPipeline p) {
        Mount mount = newMount(p, p.id());
        mounts.put(mount.key(), mount);
        return mount;
    }

    private Mount newMount(EndpointPipeline p, String preferredId) {
        String listener = p.endpoint().listener();
        return new Mount(key(p), uniqueRouteId(preferredId != null ? preferredId : p.id()), listener,
                listeners.get(listener), pathOf(p), p.id(), new EndpointSlot(p));
    }

    private static String key(EndpointPipeline p) {
        return p.endpoint().path() == null ? Mount.grpcKey(p.id()) : Mount.httpKey(p.endpoint().listener(), pathOf(p));
    }

    private static String pathOf(EndpointPipeline p) {
        return p.endpoint().path() == null ? null : "/".equals(p.endpoint().path()) ? "/" : p.endpoint().path();
    }

    private String uniqueRouteId(String wanted) {
        Set<String> taken = new LinkedHashSet<>();
        mounts.values().forEach(m -> taken.add(m.routeId()));
        String id = wanted;
        for (int n = 2; taken.contains(id) || camel.getRoute(id) != null; n++) {
            id = wanted + "-" + n;
        }
        return id;
    }

    private List<GrpcDispatcher.Target> targets(String listener, List<EndpointPipeline> pipelines) {
        List<GrpcDispatcher.Target> targets = new ArrayList<>();
        for (EndpointPipeline p : pipelines) {
            if (p.endpoint().listener().equals(listener) && p.endpoint().path() == null) {
                AsyncProducer route = grpcRoutes.computeIfAbsent(p.id(), id -> {
                    try {
                        AsyncProducer producer = camel.getEndpoint(GrpcEndpointRoutes.routeUri(id))
                                .createAsyncProducer();
                        camel.addService(producer, true, true);
                        return producer;
                    } catch (Exception e) {
                        throw new IllegalStateException("cannot reach the route of gRPC endpoint '" + id + "'", e);
                    }
                });
                targets.add(GrpcDispatcher.Target.of(p.id(), p.endpoint().models(), p.endpoint().serverCalls(), route));
            }
        }
        return targets;
    }

    private static <T extends org.apache.camel.Service> T started(T service) {
        ServiceHelper.startService(service);
        return service;
    }
}
