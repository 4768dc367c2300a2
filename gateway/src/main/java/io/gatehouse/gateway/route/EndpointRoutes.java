package io.gatehouse.gateway.route;

import io.gatehouse.config.EndpointConfig;
import io.gatehouse.config.ListenerConfig;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.engine.Step;
import io.gatehouse.gateway.http.GatewayNettyHttpComponent;
import io.gatehouse.gateway.http.ListenerSettings;
import io.gatehouse.gateway.protocol.ProtocolAdapter;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.camel.builder.RouteBuilder;

/**
 * One Camel route per endpoint: listener → open (request id, protocol parse) → the request phase of each
 * step in pipeline order → {@code agent:NAME} → response phase in reverse order → answer. The route id is
 * the endpoint id and its nodes are {@code <endpoint>.open|request|refused|approval-guard|agent|respond}
 * ({@link EndpointRouteTemplate}); the steps themselves are the endpoint's current pipeline, which a
 * reload swaps without touching the route.
 */
public final class EndpointRoutes extends RouteBuilder {

    /** A route to build: the endpoint, its listener, its adapter and its created steps. */
    public record Plan(EndpointConfig endpoint, ListenerConfig listener, ProtocolAdapter adapter,
                       List<Step> steps) {
    }

    /** Every method the listener lets through to a route (Camel matches this list by substring). */
    private static final String ALL_METHODS = "GET,HEAD,POST,PUT,DELETE,PATCH,OPTIONS,TRACE,CONNECT";

    private final List<Mount> mounts;
    private final long maxResponseBytes;
    private final Consumer<PipelineExchange.CompletedExchange> completionListener;
    /** Null when tracing is off. */
    private final io.gatehouse.gateway.tracing.GatewayTracing tracing;

    /**
     * The routes of these endpoints, each serving its one pipeline (tests and embedding; the runtime keeps
     * its routes in a table that reloads swap), and a 404 route at {@code /} of each HTTP listener that no
     * endpoint takes.
     */
    public EndpointRoutes(List<Plan> plans, Map<String, ListenerConfig> listeners, long maxResponseBytes,
                          Consumer<PipelineExchange.CompletedExchange> completionListener) {
        this(maxResponseBytes, EndpointTable.standalone(plans, listeners, "unversioned"), completionListener, null);
    }

    /** Builds the routes of these mounts (HTTP and gRPC endpoint routes alike). */
    EndpointRoutes(long maxResponseBytes, List<Mount> mounts,
                   Consumer<PipelineExchange.CompletedExchange> completionListener,
                   io.gatehouse.gateway.tracing.GatewayTracing tracing) {
        this.tracing = tracing;
        this.mounts = mounts;
        this.maxResponseBytes = maxResponseBytes;
        this.completionListener = completionListener;
    }

    /** The Camel URI of a listener path; identical options on every route of a port, so they share it. */
    public static String listenerUri(ListenerConfig listener, String path) {
        return "netty-http:http://" + listener.host() + ":" + listener.port() + path
                + "?matchOnUriPrefix=true"
                + "&chunkedMaxContentLength=" + Math.min(Integer.MAX_VALUE, listener.maxBodyBytes().bytes())
                + "&maxHeaderSize=" + Math.min(Integer.MAX_VALUE, listener.maxHeaderBytes().bytes())
                + "&muteException=true"
                // The gateway reads the Netty request itself: Camel's header mapping would parse the target and
                // a form body on its own terms (and answer nothing when they do not parse).
                + "&mapHeaders=false"
                // Every method reaches the route, which answers and records it (Camel would answer OPTIONS and
                // TRACE itself, outside the pipeline); the listener refuses TRACE and CONNECT there.
                + "&traceEnabled=true&httpMethodRestrict=" + ALL_METHODS
                // The route runs on the connection's event loop (no hand-off to a worker pool per
                // request): processors never block, and whatever waits resumes on that loop.
                + "&usingExecutorService=false"
                // Linux's epoll transport where Netty's native library loads (NIO elsewhere): fewer system
                // calls and no selected-key set per wake-up; the agent's gRPC channel of each loop follows
                // the loop's kind (AgentClient).
                + (NATIVE_TRANSPORT ? "&nativeTransport=true" : "")
                // One loop per CPU unless the listener says otherwise (Netty's default is two per CPU): with
                // twice as many loops as cores each wakes for fewer connections, and the gateway switched
                // threads a quarter more often per request for no more throughput (bench/README.md, run 12).
                + "&workerCount=" + listener.resolvedEventLoops();
    }

    private static final boolean NATIVE_TRANSPORT = io.netty.channel.epoll.Epoll.isAvailable();

    @Override
    public void configure() {
        // Listeners answer a body over their cap with a problem, not Netty's empty 413.
        if (getContext().hasComponent("netty-http") == null) {
            getContext().addComponent("netty-http", new GatewayNettyHttpComponent());
        }
        GatewayNettyHttpComponent component = (GatewayNettyHttpComponent) getContext().getComponent("netty-http");
        // A listener's settings (timeouts, limits, the endpoint prefixes its refusals go to) are taken when its
        // server starts: routes a reload adds later do not change them (a refusal on such a path is answered by
        // the listener itself, not recorded by the endpoint).
        Map<String, java.util.List<String>> prefixes = new java.util.LinkedHashMap<>();
        Map<String, ListenerConfig> listeners = new java.util.LinkedHashMap<>();
        for (Mount mount : mounts) {
            if (!mount.grpc()) {
                listeners.put(mount.listenerName(), mount.listener());
                java.util.List<String> paths = prefixes.computeIfAbsent(mount.listenerName(),
                        n -> new java.util.ArrayList<>());
                if (mount.endpointId() != null && mount.path() != null) {
                    paths.add(mount.path());
                }
            }
        }
        listeners.forEach((name, listener) -> component.listenerIfAbsent(listener.port(),
                ListenerSettings.of(name, listener, prefixes.get(name))));
        for (Mount mount : mounts) {
            EndpointRouteTemplate.build(this, mount, maxResponseBytes, completionListener, tracing);
        }
    }

    /** The agent call of an endpoint; with {@code target.stripPath}, the agent strips the endpoint's path prefix. */
    static String agentUri(EndpointConfig endpoint) {
        String uri = "agent:" + endpoint.target().agent() + "?service=" + endpoint.target().service();
        String path = endpoint.path();
        boolean strip = endpoint.target().stripPath() && path != null && !path.equals("/");
        return strip ? uri + "&stripPrefix=RAW(" + path + ")" : uri;
    }
}
