package io.gatehouse.agent.camel;

import io.gatehouse.spi.GatewayExchange;
import org.apache.camel.Exchange;

/**
 * The typed hand-offs between a gateway route and its {@code agent:} node, declared once: the
 * gateway exchange a route carries (set by the route's first node, read by every later one and by
 * the agent producer) and the agent's {@link AgentReply} (set by the producer, read by the response
 * phase). Nothing else reads these Camel exchange properties by name.
 */
public final class AgentExchanges {

    private static final String EXCHANGE = "Gatehouse.Exchange";
    private static final String REPLY = "Gatehouse.AgentReply";

    private AgentExchanges() {
    }

    /** Attaches the gateway exchange to a Camel exchange (a route's first node does this). */
    public static void attach(Exchange camel, GatewayExchange exchange) {
        camel.setProperty(EXCHANGE, exchange);
    }

    /** The gateway exchange the route carries, or null before the route's first node ran. */
    public static <T extends GatewayExchange> T exchange(Exchange camel, Class<T> type) {
        return camel.getProperty(EXCHANGE, type);
    }

    /** What the agent answered, or null when no answer (or a failure) came. */
    public static AgentReply reply(Exchange camel) {
        return camel.getProperty(REPLY, AgentReply.class);
    }

    /** Sets the agent's answer (the producer, or a test standing in for the agent). */
    public static void setReply(Exchange camel, AgentReply reply) {
        camel.setProperty(REPLY, reply);
    }
}
