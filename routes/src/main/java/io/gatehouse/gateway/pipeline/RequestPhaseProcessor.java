package io.gatehouse.gateway.pipeline;

import io.gatehouse.gateway.http.HttpAnswers;
import io.gatehouse.gateway.http.Problem;
import io.gatehouse.spi.Completion;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Outcome;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SPI→Camel adapter for one step's request phase. It checks the chain contract (an outcome,
 * not null; no exception) and names the offending processor when it is broken. A denial or an
 * answer from the step ends the route: the rest of the pipeline and the agent are skipped.
 */
public final class RequestPhaseProcessor extends AsyncProcessorSupport {

    private static final Logger LOG = LoggerFactory.getLogger(RequestPhaseProcessor.class);

    private final PipelineStep step;
    private final boolean openAiErrors;

    public RequestPhaseProcessor(PipelineStep step, boolean openAiErrors) {
        this.step = step;
        this.openAiErrors = openAiErrors;
    }

    public PipelineStep step() {
        return step;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        PipelineExchange px = exchange.getProperty(PipelineExchange.PROPERTY, PipelineExchange.class);
        if (px.refusal() != null && step.phase() != io.gatehouse.spi.Phase.OBSERVE) {
            callback.done(true); // refused by the gateway: only observers (recording) see it
            return true;
        }
        px.enter(step);
        CompletionStage<Outcome> stage;
        try {
            stage = step.processor().onRequestAsync(px);
        } catch (RuntimeException e) {
            px.leave();
            broken(exchange, px, "threw " + e, e);
            callback.done(true);
            return true;
        }
        if (stage == null) {
            px.leave();
            broken(exchange, px, "returned null from onRequestAsync", null);
            callback.done(true);
            return true;
        }
        CompletableFuture<Outcome> future = stage.toCompletableFuture();
        if (future.isDone()) {
            settle(exchange, px, future.getNow(null), failureOf(future));
            callback.done(true);
            return true;
        }
        future.whenComplete((outcome, error) -> {
            settle(exchange, px, outcome, error);
            callback.done(false);
        });
        return false;
    }

    private static Throwable failureOf(CompletableFuture<?> future) {
        try {
            future.join();
            return null;
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
            return e.getCause() != null ? e.getCause() : e;
        }
    }

    private void settle(Exchange exchange, PipelineExchange px, Outcome outcome, Throwable error) {
        px.leave();
        if (error != null) {
            broken(exchange, px, "failed: " + error, error);
        } else if (outcome == null) {
            broken(exchange, px, "returned a null outcome", null);
        } else if (outcome instanceof Outcome.Deny deny) {
            Problem problem = Problem.from(deny);
            HttpAnswers.problem(exchange, problem, px.requestId(), px.request().path(), openAiErrors);
            exchange.setRouteStop(true);
            px.complete(Completion.Kind.DENIED, deny.status(), deny, null);
        } else if (outcome instanceof Outcome.Respond respond) {
            Headers headers = new Headers();
            respond.headers().forEach(headers::set);
            HttpAnswers.whole(exchange, respond.status(), headers, respond.contentType(), respond.body(),
                    px.requestId());
            exchange.setRouteStop(true);
            px.complete(Completion.Kind.RESPONDED, respond.status(), null, null);
        }
    }

    /** The chain contract was broken: 500, the processor named in the log, the exchange completed. */
    private void broken(Exchange exchange, PipelineExchange px, String what, Throwable error) {
        String message = step.describe() + " " + what;
        LOG.error("{} (request {})", message, px.requestId(), error);
        Problem problem = Problem.of(500, "Internal gateway error",
                "a gateway processor failed; the request was not forwarded. Quote request id " + px.requestId()
                        + " to the gateway's operators.");
        HttpAnswers.problem(exchange, problem, px.requestId(), px.request().path(), openAiErrors);
        exchange.setRouteStop(true);
        px.complete(Completion.Kind.FAILED, 500, null, message);
    }
}
