package io.gatehouse.agent.camel;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

/**
 * {@code agent:NAME?service=SVC[&stripPrefix=/p]}: producer only. With {@code stripPrefix}, a request path
 * that starts with that prefix goes to the model without it ({@code /p/api/chat} → {@code /api/chat}).
 */
public class AgentEndpoint extends DefaultEndpoint {

    private final String agentName;
    private final String service;
    private final String stripPrefix;

    AgentEndpoint(String uri, AgentComponent component, String agentName, String service, String stripPrefix) {
        super(uri, component);
        this.agentName = agentName;
        this.service = service;
        this.stripPrefix = stripPrefix == null || stripPrefix.isEmpty() || stripPrefix.equals("/") ? null
                : stripPrefix;
    }

    /** The path prefix removed before the request goes on, or null. */
    public String getStripPrefix() {
        return stripPrefix;
    }

    public String getAgentName() {
        return agentName;
    }

    public String getService() {
        return service;
    }

    @Override
    public AgentComponent getComponent() {
        return (AgentComponent) super.getComponent();
    }

    @Override
    public Producer createProducer() {
        return new AgentProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("agent:" + agentName + " only sends: use it in to(...), not from(...)");
    }
}
