package io.gatehouse.gateway.pipeline;

import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.engine.Step;
import io.gatehouse.engine.StepCalls;
import io.gatehouse.engine.StepResult;
import io.gatehouse.spi.Phase;
import java.util.concurrent.CompletableFuture;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;

/**
 * The Camel node of one step's request phase: a thin adapter over the pipeline engine
 * ({@link StepCalls#request}), which checks the chain contract. A denial, an answer or a broken
 * processor ends the route: the rest of the pipeline and the agent are skipped. A step that waits
 * resumes on the exchange's event loop, so the route continues where its connection lives.
 */
public final class RequestPhaseProcessor extends AsyncProcessorSupport {

    private final Step step;
    private final EndpointAnswers answers;

    public RequestPhaseProcessor(Step step, EndpointAnswers answers) {
        this.step = step;
        this.answers = answers;
    }

    public Step step() {
        return step;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        PipelineExchange px = RouteExchanges.pipeline(exchange);
        if (px.refusal() != null && step.phase() != Phase.OBSERVE) {
            callback.done(true); // refused by the gateway: only observers (recording) see it
            return true;
        }
        CompletableFuture<StepResult> result = StepCalls.request(px, step).toCompletableFuture();
        if (result.isDone()) {
            settle(exchange, px, result.join());
            callback.done(true);
            return true;
        }
        result.thenAccept(r -> {
            settle(exchange, px, r);
            callback.done(false);
        });
        return false;
    }

    private void settle(Exchange exchange, PipelineExchange px, StepResult result) {
        if (result instanceof StepResult.Denied denied) {
            answers.deny(exchange, px, denied.denial());
        } else if (result instanceof StepResult.Responded responded) {
            answers.respond(exchange, px, responded.answer());
        } else if (result instanceof StepResult.Broken broken) {
            answers.broken(exchange, px, broken);
        }
    }
}
