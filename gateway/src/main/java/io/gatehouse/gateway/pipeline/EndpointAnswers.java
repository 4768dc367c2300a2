package io.gatehouse.gateway.pipeline;

import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.engine.StepResult;
import io.gatehouse.gateway.http.HttpAnswers;
import io.gatehouse.gateway.http.Problem;
import io.gatehouse.spi.Completion;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Outcome;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How one endpoint's route answers on its own (denials, a step's answer, broken processors,
 * failures): problem+json, or OpenAI's error shape for endpoints whose clients are OpenAI SDKs. Every
 * answer here also ends the route and completes the exchange, so no path can answer and forget to
 * record. One instance per endpoint, shared by its nodes.
 */
public final class EndpointAnswers {

    private static final Logger LOG = LoggerFactory.getLogger(EndpointAnswers.class);

    /** Answers of gRPC endpoints: problem+json, which the gRPC listener turns into a status. */
    public static final EndpointAnswers PROBLEMS = new EndpointAnswers(false);

    private final boolean openAiErrors;

    private EndpointAnswers(boolean openAiErrors) {
        this.openAiErrors = openAiErrors;
    }

    /** @param openAiErrors answer errors in OpenAI's {@code {"error": {...}}} shape (besides the problem fields) */
    public static EndpointAnswers of(boolean openAiErrors) {
        return openAiErrors ? new EndpointAnswers(true) : PROBLEMS;
    }

    /** Writes a problem answer without completing the exchange (the caller completes it). */
    public void problem(Exchange exchange, Problem problem, String requestId, String path) {
        HttpAnswers.problem(exchange, problem, requestId, path, openAiErrors);
    }

    /** A step (or the gateway itself) refused: problem answer, route stopped, exchange completed as denied. */
    public void deny(Exchange exchange, PipelineExchange px, Outcome.Deny denial) {
        problem(exchange, Problem.from(denial), px.requestId(), px.request().path());
        exchange.setRouteStop(true);
        px.complete(Completion.Kind.DENIED, denial.status(), denial, null);
    }

    /** A step answered the request itself. */
    public void respond(Exchange exchange, PipelineExchange px, Outcome.Respond answer) {
        Headers headers = new Headers();
        answer.headers().forEach(headers::set);
        HttpAnswers.whole(exchange, answer.status(), headers, answer.contentType(), answer.body(), px.requestId());
        exchange.setRouteStop(true);
        px.complete(Completion.Kind.RESPONDED, answer.status(), null, null);
    }

    /** A processor broke the chain contract: 500, the processor named in the log, the exchange completed. */
    public void broken(Exchange exchange, PipelineExchange px, StepResult.Broken broken) {
        LOG.error("{} (request {})", broken.message(), px.requestId(), broken.cause());
        Problem problem = Problem.of(500, "Internal gateway error",
                "a gateway processor failed; the request was not forwarded. Quote request id " + px.requestId()
                        + " to the gateway's operators.");
        problem(exchange, problem, px.requestId(), px.request().path());
        exchange.setRouteStop(true);
        px.complete(Completion.Kind.FAILED, 500, null, broken.message());
    }

    /** The exchange failed after the agent answered: problem answer, exchange completed as failed. */
    public void fail(Exchange exchange, PipelineExchange px, int status, String title, String detail, String log) {
        problem(exchange, Problem.of(status, title, detail), px.requestId(), px.request().path());
        px.complete(Completion.Kind.FAILED, status, null, log);
    }
}
