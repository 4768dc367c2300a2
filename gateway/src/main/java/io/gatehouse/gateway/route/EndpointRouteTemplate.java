package io.gatehouse.gateway.route;

import io.gatehouse.agent.camel.AgentComponent;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.gateway.grpc.GrpcCallOpener;
import io.gatehouse.gateway.grpc.GrpcListeners;
import io.gatehouse.gateway.grpc.GrpcResponseDecoder;
import io.gatehouse.gateway.pipeline.AgentCall;
import io.gatehouse.gateway.pipeline.ApprovalGuard;
import io.gatehouse.gateway.pipeline.EndpointAnswers;
import io.gatehouse.gateway.pipeline.ExchangeOpener;
import io.gatehouse.gateway.pipeline.RefusalAnswer;
import io.gatehouse.gateway.pipeline.RequestPhaseProcessor;
import io.gatehouse.gateway.pipeline.ResponsePhaseProcessor;
import java.util.function.Consumer;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.OnExceptionDefinition;
import org.apache.camel.model.RouteDefinition;

/**
 * The one shape of an endpoint route, for HTTP and gRPC listeners alike:
 * <pre>
 * from(listener) → {id}.open → {id}.request → {id}.refused → {id}.approval-guard → {id}.agent [→ …] → {id}.respond
 * </pre>
 * The route's nodes hold no endpoint state: {@code open} reads the endpoint's current
 * {@link io.gatehouse.gateway.pipeline.EndpointPipeline} from the route's slot once, and every later node
 * works with that capture (its steps, answers and agent). A reload swaps the slot; the route stays, and
 * exchanges in flight finish on the pipeline they opened on. The route id is the endpoint id (the id of
 * the endpoint it was first built for), so Camel's tooling and AdviceWith name what the config names.
 */
final class EndpointRouteTemplate {

    private EndpointRouteTemplate() {
    }

    static void build(RouteBuilder builder, Mount mount, long maxResponseBytes,
                      Consumer<PipelineExchange.CompletedExchange> completionListener,
                      io.gatehouse.gateway.tracing.GatewayTracing tracing) {
        String id = mount.routeId();
        // No stream caching: every step reads the request from the Netty message or the pipeline exchange,
        // never from Camel's body, so caching it is a type-converter lookup per step for nothing.
        RouteDefinition route = builder.from(mount.from()).routeId(id).routeDescription(mount.description())
                .noStreamCaching();
        OnExceptionDefinition onException = route.onException(Throwable.class).handled(true);
        if (mount.grpc()) {
            onException.process(GrpcListeners.NOTE_FAILURE);
        }
        onException.process(new FailureResponder(mount.fallbackAnswers())).end();
        if (mount.grpc()) {
            route.process(new GrpcCallOpener(mount.slot(), completionListener,
                    builder.getContext().getComponent(AgentComponent.SCHEME, AgentComponent.class), tracing))
                    .id(id + ".open");
        } else {
            route.process(new ExchangeOpener(mount.slot(), mount.path(), completionListener, tracing)).id(id + ".open");
        }
        route.process(new RequestPhaseProcessor()).id(id + ".request");
        EndpointAnswers answers = mount.fallbackAnswers();
        route.process(new RefusalAnswer(answers)).id(id + ".refused");
        route.process(new ApprovalGuard(answers)).id(id + ".approval-guard");
        route.process(new AgentCall()).id(id + ".agent");
        if (mount.grpc()) {
            route.process(new GrpcResponseDecoder()).id(id + ".grpc-decode");
        }
        route.process(new ResponsePhaseProcessor(maxResponseBytes, answers)).id(id + ".respond");
    }
}
