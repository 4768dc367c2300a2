package io.gatehouse.gateway.route;

import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.engine.Step;
import io.gatehouse.gateway.pipeline.ApprovalGuard;
import io.gatehouse.gateway.pipeline.EndpointAnswers;
import io.gatehouse.gateway.pipeline.RefusalAnswer;
import io.gatehouse.gateway.pipeline.RequestPhaseProcessor;
import io.gatehouse.gateway.pipeline.ResponsePhaseProcessor;
import java.util.function.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.OnExceptionDefinition;
import org.apache.camel.model.RouteDefinition;

/**
 * The one shape of an endpoint route, for HTTP and gRPC listeners alike:
 * <pre>
 * from(listener) → {id}.open → {id}.{step}… → {id}.refused → {id}.approval-guard → {id}.agent [→ …] → {id}.respond
 * </pre>
 * The route id is the endpoint id and each step's node id is {@code <endpoint>.<step>}, so Camel's
 * tooling (and AdviceWith in tests) names what the config names. What differs between listeners —
 * where the route starts, how the exchange is opened, how the agent is called — is a {@link Listener}.
 */
final class EndpointRouteTemplate {

    /** What one kind of listener puts into the template. */
    interface Listener {

        /** The URI the route consumes from. */
        String from(EndpointRoutes.Plan plan);

        /** How the endpoint answers on its own (problem+json, OpenAI errors). */
        EndpointAnswers answers(EndpointRoutes.Plan plan);

        /** The first node: builds the {@link PipelineExchange} from what the listener received. */
        Processor opener(RouteBuilder builder, EndpointRoutes.Plan plan,
                         Consumer<PipelineExchange.CompletedExchange> completionListener);

        /** Nodes that run before the failure answer when an exception escapes (none by default). */
        default void beforeFailure(OnExceptionDefinition onException) {
        }

        /** The agent call, and whatever turns its reply into the response the steps read; ids {@code {id}.agent…}. */
        void agent(RouteBuilder builder, RouteDefinition route, EndpointRoutes.Plan plan);
    }

    private EndpointRouteTemplate() {
    }

    static void build(RouteBuilder builder, EndpointRoutes.Plan plan, Listener listener, long maxResponseBytes,
                      Consumer<PipelineExchange.CompletedExchange> completionListener) {
        String id = plan.endpoint().id();
        EndpointAnswers answers = listener.answers(plan);
        RouteDefinition route = builder.from(listener.from(plan)).routeId(id)
                .routeDescription("endpoint '" + id + "' (" + plan.endpoint().file() + ")");
        OnExceptionDefinition onException = route.onException(Throwable.class).handled(true);
        listener.beforeFailure(onException);
        onException.process(new FailureResponder(answers)).end();
        route.process(listener.opener(builder, plan, completionListener)).id(id + ".open");
        for (Step step : plan.steps()) {
            route.process(new RequestPhaseProcessor(step, answers)).id(step.nodeId());
        }
        route.process(new RefusalAnswer(answers)).id(id + ".refused");
        route.process(new ApprovalGuard(answers)).id(id + ".approval-guard");
        listener.agent(builder, route, plan);
        route.process(new ResponsePhaseProcessor(maxResponseBytes, answers)).id(id + ".respond");
    }
}
