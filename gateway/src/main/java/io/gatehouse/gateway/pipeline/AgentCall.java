package io.gatehouse.gateway.pipeline;

import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;

/**
 * The agent node ({@code <endpoint>.agent}): calls the agent through the pipeline the exchange opened
 * on, so a reload that changes an endpoint's target (agent, service) applies to the next request and
 * leaves the calls in flight where they are.
 */
public final class AgentCall extends AsyncProcessorSupport {

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        return RouteExchanges.endpoint(exchange).agent().process(exchange, callback);
    }
}
