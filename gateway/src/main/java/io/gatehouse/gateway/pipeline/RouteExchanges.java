package io.gatehouse.gateway.pipeline;

import io.gatehouse.agent.camel.AgentExchanges;
import io.gatehouse.engine.PipelineExchange;
import org.apache.camel.Exchange;

/**
 * The typed hand-offs between the nodes of an endpoint route, declared once. The gateway exchange
 * itself travels as the agent component's input ({@link AgentExchanges}).
 */
public final class RouteExchanges {

    private static final String STREAM_ANSWERER = "Gatehouse.StreamAnswerer";

    private RouteExchanges() {
    }

    /** Attaches the pipeline exchange (the route's first node). */
    public static void attach(Exchange camel, PipelineExchange exchange) {
        AgentExchanges.attach(camel, exchange);
    }

    /** The pipeline exchange of the route, or null before its first node ran. */
    public static PipelineExchange pipeline(Exchange camel) {
        return AgentExchanges.exchange(camel, PipelineExchange.class);
    }

    /** Who answers a streamed response when the client is not an HTTP/1.1 connection, or null. */
    public static StreamAnswerer streamAnswerer(Exchange camel) {
        return camel.getProperty(STREAM_ANSWERER, StreamAnswerer.class);
    }

    public static void setStreamAnswerer(Exchange camel, StreamAnswerer answerer) {
        camel.setProperty(STREAM_ANSWERER, answerer);
    }
}
