package io.gatehouse.gateway.route;

import io.gatehouse.agent.camel.AgentCallException;
import io.gatehouse.gateway.pipeline.EndpointAnswers;
import io.gatehouse.gateway.http.Problem;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.spi.Completion;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an exception that escaped the pipeline (mostly: the agent or the model could not answer)
 * into a problem+json answer the client can act on, and completes the exchange.
 */
final class FailureResponder implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(FailureResponder.class);

    private final EndpointAnswers answers;

    FailureResponder(EndpointAnswers answers) {
        this.answers = answers;
    }

    @Override
    public void process(Exchange exchange) {
        Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        PipelineExchange px = io.gatehouse.gateway.pipeline.RouteExchanges.pipeline(exchange);
        String requestId = px != null ? px.requestId() : "none";
        Problem problem = problemFor(error, requestId);
        if (problem.status() >= 500 && !(error instanceof AgentCallException)) {
            LOG.error("request {} failed in the gateway", requestId, error);
        } else {
            LOG.warn("request {} failed: {}", requestId, error == null ? "unknown" : error.getMessage());
        }
        exchange.setException(null);
        answers(exchange).problem(exchange, problem, requestId, px == null ? null : px.request().path());
        if (px != null) {
            px.complete(Completion.Kind.FAILED, problem.status(), null, String.valueOf(error));
        }
    }

    static Problem problemFor(Throwable error, String requestId) {
        if (error instanceof AgentCallException agent) {
            return switch (agent.kind()) {
                case UNAVAILABLE -> Problem.of(503, "Agent unavailable",
                        "the gateway cannot reach the agent in front of the model; retry later. " + agent.getMessage());
                case UNKNOWN_SERVICE -> Problem.of(502, "Bad gateway",
                        "the agent does not know the endpoint's target service; the gateway config and the agent "
                                + "config disagree. " + agent.getMessage());
                case UPSTREAM_UNREACHABLE -> Problem.of(503, "Model unavailable",
                        "the agent cannot reach the model server; retry later. " + agent.getMessage());
                case CIRCUIT_OPEN -> new Problem(503, "Model unavailable", "the model server failed too many recent "
                        + "calls, so the agent is not calling it for now; retry after the time in Retry-After. "
                        + agent.getMessage(), null, java.util.Map.of("Retry-After",
                        Long.toString(Math.max(1, (agent.retryAfterMillis() + 999) / 1000))));
                case UPSTREAM_TIMEOUT, DEADLINE_EXCEEDED -> Problem.of(504, "Gateway timeout",
                        "the model did not answer in time. " + agent.getMessage());
                default -> Problem.of(502, "Bad gateway", "the model's answer failed. " + agent.getMessage());
            };
        }
        return Problem.of(500, "Internal gateway error",
                "the gateway failed; quote request id " + requestId + " to the gateway's operators.");
    }

    /** The answers of the pipeline the exchange opened on (a reload may have changed the endpoint's protocol). */
    private EndpointAnswers answers(Exchange exchange) {
        return io.gatehouse.gateway.pipeline.RouteExchanges.answers(exchange, answers);
    }
}
