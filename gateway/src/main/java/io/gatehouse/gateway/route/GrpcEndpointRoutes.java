package io.gatehouse.gateway.route;

import io.gatehouse.agent.camel.AgentComponent;
import io.gatehouse.config.EndpointConfig;
import io.gatehouse.config.ListenerConfig;
import io.gatehouse.gateway.grpc.GrpcCallOpener;
import io.gatehouse.gateway.grpc.GrpcDispatcher;
import io.gatehouse.gateway.grpc.GrpcForward;
import io.gatehouse.gateway.grpc.GrpcListeners;
import io.gatehouse.gateway.grpc.GrpcResponseDecoder;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.gateway.pipeline.EndpointAnswers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.camel.AsyncProducer;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.grpc.GrpcEndpoint;
import org.apache.camel.Processor;
import org.apache.camel.model.OnExceptionDefinition;
import org.apache.camel.model.RouteDefinition;

/**
 * The gRPC side: one route per gRPC listener (a camel-grpc consumer of {@code inference.GRPCInferenceService}
 * whose one node picks the endpoint by model) and one route per gRPC endpoint, built like an HTTP
 * endpoint's — open, each step's request phase, approval guard, agent, response phase — with the
 * endpoint's id as route id and {@code <endpoint>.<step>} as node ids.
 */
final class GrpcEndpointRoutes extends RouteBuilder {

    /** The path a gRPC endpoint's steps are told they serve. */
    static final String GRPC_PATH = "/inference.GRPCInferenceService";

    private final List<EndpointRoutes.Plan> plans;
    private final Map<String, ListenerConfig> listeners;
    private final long maxResponseBytes;
    private final Consumer<PipelineExchange.CompletedExchange> completionListener;

    GrpcEndpointRoutes(List<EndpointRoutes.Plan> plans, Map<String, ListenerConfig> listeners, long maxResponseBytes,
                       Consumer<PipelineExchange.CompletedExchange> completionListener) {
        this.plans = plans;
        this.listeners = listeners;
        this.maxResponseBytes = maxResponseBytes;
        this.completionListener = completionListener;
    }

    static String routeUri(EndpointConfig endpoint) {
        return "direct:gatehouse-grpc-" + endpoint.id();
    }

    @Override
    public void configure() throws Exception {
        for (EndpointRoutes.Plan plan : plans) {
            if (plan.listener().grpc()) {
                configureEndpoint(plan);
            }
        }
        for (Map.Entry<String, ListenerConfig> listener : listeners.entrySet()) {
            if (!listener.getValue().grpc()) {
                continue;
            }
            List<GrpcDispatcher.Target> targets = new ArrayList<>();
            for (EndpointRoutes.Plan plan : plans) {
                if (plan.endpoint().listener().equals(listener.getKey())) {
                    AsyncProducer route = getContext().getEndpoint(routeUri(plan.endpoint())).createAsyncProducer();
                    getContext().addService(route, true, true);
                    targets.add(GrpcDispatcher.Target.of(plan.endpoint().id(), plan.endpoint().models(),
                            plan.endpoint().serverCalls(), route));
                }
            }
            GrpcEndpoint endpoint = GrpcListeners.endpoint(getContext(), listener.getValue());
            from(endpoint).routeId("gatehouse-grpc-" + listener.getKey())
                    .routeDescription("gRPC listener '" + listener.getKey() + "' (inference.GRPCInferenceService)")
                    .process(new GrpcDispatcher(listener.getKey(), targets, getContext()))
                    .id("gatehouse-grpc-" + listener.getKey() + ".dispatch");
        }
    }

    private void configureEndpoint(EndpointRoutes.Plan plan) {
        EndpointRouteTemplate.build(this, plan, GRPC, maxResponseBytes, completionListener);
    }

    /**
     * A gRPC endpoint: fed one message at a time by its listener's dispatcher; the message is
     * re-encoded for the agent and the model's messages decoded to their REST JSON for the steps.
     */
    private static final EndpointRouteTemplate.Listener GRPC = new EndpointRouteTemplate.Listener() {
        @Override
        public String from(EndpointRoutes.Plan plan) {
            return routeUri(plan.endpoint());
        }

        @Override
        public EndpointAnswers answers(EndpointRoutes.Plan plan) {
            return EndpointAnswers.PROBLEMS;
        }

        @Override
        public Processor opener(RouteBuilder builder, EndpointRoutes.Plan plan,
                                Consumer<PipelineExchange.CompletedExchange> listener) {
            return new GrpcCallOpener(plan.endpoint().id(), plan.adapter(), listener,
                    builder.getContext().getComponent(AgentComponent.SCHEME, AgentComponent.class));
        }

        @Override
        public void beforeFailure(OnExceptionDefinition onException) {
            onException.process(GrpcListeners.NOTE_FAILURE);
        }

        @Override
        public void agent(RouteBuilder builder, RouteDefinition route, EndpointRoutes.Plan plan) {
            String id = plan.endpoint().id();
            route.process(new GrpcForward(builder.getContext().getEndpoint(EndpointRoutes.agentUri(plan)))).id(id + ".agent");
            route.process(new GrpcResponseDecoder()).id(id + ".grpc-decode");
        }
    };
}
