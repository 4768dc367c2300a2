package io.gatehouse.gateway.route;

import io.gatehouse.config.EndpointConfig;
import io.gatehouse.config.ListenerConfig;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.engine.Step;
import io.gatehouse.gateway.http.HttpAnswers;
import io.gatehouse.gateway.http.Problem;
import io.gatehouse.gateway.pipeline.EndpointAnswers;
import io.gatehouse.gateway.pipeline.ExchangeOpener;
import io.gatehouse.gateway.protocol.ProtocolAdapter;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.netty.http.NettyHttpMessage;
import org.apache.camel.model.RouteDefinition;

/**
 * One Camel route per endpoint: listener → open (request id, protocol parse) → each step's request
 * phase in pipeline order → {@code agent:NAME} → response phase in reverse order → answer. The
 * route id is the endpoint id and each step's node id is {@code <endpoint>.<step>}, so Camel's
 * tooling (and AdviceWith in tests) names what the config names.
 */
public final class EndpointRoutes extends RouteBuilder {

    /** A route to build: the endpoint, its listener, its adapter and its created steps. */
    public record Plan(EndpointConfig endpoint, ListenerConfig listener, ProtocolAdapter adapter,
                       List<Step> steps) {
    }

    private final List<Plan> plans;
    private final Map<String, ListenerConfig> listeners;
    private final long maxResponseBytes;
    private final Consumer<PipelineExchange.CompletedExchange> completionListener;

    public EndpointRoutes(List<Plan> plans, Map<String, ListenerConfig> listeners, long maxResponseBytes,
                          Consumer<PipelineExchange.CompletedExchange> completionListener) {
        this.plans = plans;
        this.listeners = listeners;
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
                // The route runs on the connection's event loop (no hand-off to a worker pool per
                // request): processors never block, and whatever waits resumes on that loop.
                + "&usingExecutorService=false";
    }

    @Override
    public void configure() {
        // Listeners answer a body over their cap with a problem, not Netty's empty 413.
        if (getContext().hasComponent("netty-http") == null) {
            getContext().addComponent("netty-http", new io.gatehouse.gateway.http.GatewayNettyHttpComponent());
        }
        for (Plan plan : plans) {
            if (!plan.listener().grpc()) {
                configureEndpoint(plan);
            }
        }
        for (Map.Entry<String, ListenerConfig> listener : listeners.entrySet()) {
            if (listener.getValue().grpc()) {
                continue; // GrpcEndpointRoutes: a gRPC listener answers unknown models itself
            }
            boolean rootTaken = plans.stream().anyMatch(p -> p.endpoint().listener().equals(listener.getKey())
                    && "/".equals(p.endpoint().path()));
            if (!rootTaken) {
                configureNotFound(listener.getKey(), listener.getValue());
            }
        }
    }

    private void configureEndpoint(Plan plan) {
        EndpointRouteTemplate.build(this, plan, HTTP, maxResponseBytes, completionListener);
    }

    /** An HTTP listener: camel-netty-http, the exchange on the connection's event loop, {@code agent:} directly. */
    private static final EndpointRouteTemplate.Listener HTTP = new EndpointRouteTemplate.Listener() {
        @Override
        public String from(Plan plan) {
            return listenerUri(plan.listener(), "/".equals(plan.endpoint().path()) ? "/" : plan.endpoint().path());
        }

        @Override
        public EndpointAnswers answers(Plan plan) {
            return EndpointAnswers.of(plan.adapter().openAiErrors());
        }

        @Override
        public Processor opener(RouteBuilder builder, Plan plan,
                                Consumer<PipelineExchange.CompletedExchange> completionListener) {
            return new ExchangeOpener(plan.endpoint().id(), plan.endpoint().path(), plan.adapter(), completionListener);
        }

        @Override
        public void agent(RouteBuilder builder, RouteDefinition route, Plan plan) {
            route.to(agentUri(plan)).id(plan.endpoint().id() + ".agent");
        }
    };

    static String agentUri(Plan plan) {
        String uri = "agent:" + plan.endpoint().target().agent() + "?service=" + plan.endpoint().target().service();
        String path = plan.endpoint().path();
        boolean strip = plan.endpoint().target().stripPath() && path != null && !path.equals("/");
        return strip ? uri + "&stripPrefix=RAW(" + path + ")" : uri;
    }

    /** Paths no endpoint serves get a problem+json 404 rather than Netty's empty one. */
    private void configureNotFound(String name, ListenerConfig listener) {
        from(listenerUri(listener, "/"))
                .routeId("gatehouse-not-found-" + name)
                .process(exchange -> {
                    String path = new QueryStringDecoder(
                            exchange.getIn(NettyHttpMessage.class).getHttpRequest().uri()).path();
                    String requestId = UUID.randomUUID().toString();
                    HttpAnswers.problem(exchange, Problem.of(404, "Not found",
                            "no endpoint serves path '" + path + "' on this listener"), requestId, path, false);
                });
    }
}
