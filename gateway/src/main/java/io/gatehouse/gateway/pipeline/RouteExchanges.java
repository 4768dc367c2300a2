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
    private static final String ENDPOINT_PIPELINE = "Gatehouse.EndpointPipeline";

    private RouteExchanges() {
    }

    /** Attaches the pipeline exchange (the route's first node). */
    public static void attach(Exchange camel, PipelineExchange exchange) {
        AgentExchanges.attach(camel, exchange);
    }

    /** Attaches the endpoint pipeline the exchange captured when it opened (read by every later node). */
    public static void attach(Exchange camel, EndpointPipeline pipeline) {
        camel.setProperty(ENDPOINT_PIPELINE, pipeline);
    }

    /** The endpoint pipeline the exchange opened on, or null before its first node ran. */
    public static EndpointPipeline endpoint(Exchange camel) {
        return camel.getProperty(ENDPOINT_PIPELINE, EndpointPipeline.class);
    }

    /** How the exchange's endpoint answers: its captured pipeline's, else {@code fallback}. */
    public static EndpointAnswers answers(Exchange camel, EndpointAnswers fallback) {
        EndpointPipeline pipeline = endpoint(camel);
        return pipeline == null ? fallback : pipeline.answers();
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
