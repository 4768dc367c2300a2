package io.gatehouse.gateway.pipeline;

import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.engine.Step;
import io.gatehouse.engine.StepCalls;
import io.gatehouse.engine.StepResult;
import io.gatehouse.spi.Phase;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;

/**
 * The Camel node of the request phase ({@code <endpoint>.request}): runs each step of the pipeline the
 * exchange captured when it opened ({@link EndpointPipeline}), in pipeline order, through the engine
 * ({@link StepCalls#request}), which checks the chain contract. One node for all steps, rather than a
 * node per step, so that a reload can re-order, add or remove steps without replacing the route while
 * exchanges are in flight on it. A denial, an answer or a broken processor ends the route: the rest of
 * the pipeline and the agent are skipped. A step that waits resumes on the exchange's event loop, and
 * the next step runs there.
 */
public final class RequestPhaseProcessor extends AsyncProcessorSupport {

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        PipelineExchange px = RouteExchanges.pipeline(exchange);
        EndpointPipeline pipeline = RouteExchanges.endpoint(exchange);
        return run(exchange, px, pipeline.steps(), pipeline.answers(), 0, callback, true);
    }

    /** Runs steps from {@code index}; true when everything ran on the caller's thread (Camel's doneSync). */
    private static boolean run(Exchange exchange, PipelineExchange px, List<Step> steps, EndpointAnswers answers,
                               int index, AsyncCallback callback, boolean sync) {
        for (int i = index; i < steps.size(); i++) {
            Step step = steps.get(i);
            if (px.refusal() != null && step.phase() != Phase.OBSERVE) {
                continue; // refused by the gateway: only observers (recording) see it
            }
            CompletableFuture<StepResult> result = StepCalls.request(px, step).toCompletableFuture();
            if (result.isDone()) {
                if (settle(exchange, px, answers, result.join())) {
                    callback.done(sync);
                    return sync;
                }
                continue;
            }
            int next = i + 1;
            result.thenAccept(r -> {
                if (settle(exchange, px, answers, r)) {
                    callback.done(false);
                } else {
                    run(exchange, px, steps, answers, next, callback, false);
                }
            });
            return false;
        }
        callback.done(sync);
        return sync;
    }

    /** True when the step ended the exchange (denied, answered, broke). */
    private static boolean settle(Exchange exchange, PipelineExchange px, EndpointAnswers answers, StepResult result) {
        if (result instanceof StepResult.Denied denied) {
            answers.deny(exchange, px, denied.denial());
            return true;
        } else if (result instanceof StepResult.Responded responded) {
            answers.respond(exchange, px, responded.answer());
            return true;
        } else if (result instanceof StepResult.Broken broken) {
            answers.broken(exchange, px, broken);
            return true;
        }
        return false;
    }
}
