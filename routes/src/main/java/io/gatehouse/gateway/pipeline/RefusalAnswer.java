package io.gatehouse.gateway.pipeline;

import io.gatehouse.gateway.http.HttpAnswers;
import io.gatehouse.gateway.http.Problem;
import io.gatehouse.spi.Completion;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * The node after the steps: an exchange the gateway refused before its steps decided anything
 * ({@link PipelineExchange#refuse}) is answered here, once the observing steps (recording) have seen
 * it, and goes no further.
 */
public final class RefusalAnswer implements Processor {

    private final boolean openAiErrors;

    public RefusalAnswer(boolean openAiErrors) {
        this.openAiErrors = openAiErrors;
    }

    @Override
    public void process(Exchange exchange) {
        PipelineExchange px = exchange.getProperty(PipelineExchange.PROPERTY, PipelineExchange.class);
        Problem refusal = px.refusal();
        if (refusal == null) {
            return;
        }
        HttpAnswers.problem(exchange, refusal, px.requestId(), px.request().path(), openAiErrors);
        exchange.setRouteStop(true);
        px.complete(Completion.Kind.DENIED, refusal.status(), refusal.asDenial(), null);
    }
}
