package io.gatehouse.gateway.pipeline;

import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.spi.Outcome;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * The node after the steps: an exchange the gateway refused before its steps decided anything
 * ({@link PipelineExchange#refuse}) is answered here, once the observing steps (recording) have seen
 * it, and goes no further.
 */
public final class RefusalAnswer implements Processor {

    private final EndpointAnswers answers;

    public RefusalAnswer(EndpointAnswers answers) {
        this.answers = answers;
    }

    @Override
    public void process(Exchange exchange) {
        PipelineExchange px = RouteExchanges.pipeline(exchange);
        Outcome.Deny refusal = px.refusal();
        if (refusal != null) {
            answers(exchange).deny(exchange, px, refusal);
        }
    }

    /** The answers of the pipeline the exchange opened on (a reload may have changed the endpoint's protocol). */
    private EndpointAnswers answers(Exchange exchange) {
        return RouteExchanges.answers(exchange, answers);
    }
}
