package io.gatehouse.gateway.pipeline;

import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProducer;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.support.service.ServiceHelper;

/**
 * The call to an {@code agent:NAME?service=SVC} endpoint, its producer created and started on first use
 * in the exchange's Camel context, so a pipeline can be built before (or apart from) the context.
 * Producers are shared by URI through {@link org.apache.camel.CamelContext#getEndpoint}'s endpoint; the
 * agent component keeps the connections.
 */
public final class LazyAgentCall extends AsyncProcessorSupport {

    private final String uri;
    private volatile AsyncProducer producer;

    public LazyAgentCall(String uri) {
        this.uri = uri;
    }

    public String uri() {
        return uri;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        AsyncProducer p = producer;
        if (p == null) {
            try {
                p = start(exchange);
            } catch (Exception e) {
                exchange.setException(e);
                callback.done(true);
                return true;
            }
        }
        return p.process(exchange, callback);
    }

    private synchronized AsyncProducer start(Exchange exchange) throws Exception {
        if (producer == null) {
            AsyncProducer created = exchange.getContext().getEndpoint(uri).createAsyncProducer();
            ServiceHelper.startService(created);
            producer = created;
        }
        return producer;
    }

    @Override
    protected void doStop() throws Exception {
        ServiceHelper.stopService(producer);
    }
}
