package io.gatehouse.agent.camel;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

/** {@code agent:NAME?service=SVC}: producer only. */
public class AgentEndpoint extends DefaultEndpoint {

    private final String agentName;
    private final String service;

    AgentEndpoint(String uri, AgentComponent component, String agentName, String service) {
        super(uri, component);
        this.agentName = agentName;
        this.service = service;
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
