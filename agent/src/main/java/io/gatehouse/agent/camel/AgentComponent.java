package io.gatehouse.agent.camel;

import io.gatehouse.agent.AgentCalls;
import java.util.Collections;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code agent:} component: {@code agent:NAME?service=SVC} sends the exchange's
 * {@code Gatehouse.Exchange} to the service {@code SVC} of the agent registered as {@code NAME}.
 * The gateway registers its agents before routes start.
 */
public class AgentComponent extends DefaultComponent {

    public static final String SCHEME = "agent";

    private final Map<String, AgentCalls> agents = new ConcurrentHashMap<>();
    private volatile io.netty.channel.EventLoopGroup callerLoops;

    /**
     * An event loop for an exchange that does not live on one (a gRPC listener's call runs on
     * camel-grpc's executor): made its home, the agent call and everything after it run on that loop
     * and its own connection to the agent, as an HTTP listener's exchanges do on theirs.
     */
    public io.netty.channel.EventLoop nextCallerLoop() {
        return callerLoopGroup().next();
    }

    /**
     * The caller loop this thread is, when it is one (a gRPC listener's call runs on it); otherwise the next
     * one, as {@link #nextCallerLoop()}.
     */
    public io.netty.channel.EventLoop currentOrNextCallerLoop() {
        io.netty.channel.EventLoopGroup group = callerLoopGroup();
        for (io.netty.util.concurrent.EventExecutor loop : group) {
            if (loop.inEventLoop()) {
                return (io.netty.channel.EventLoop) loop;
            }
        }
        return group.next();
    }

    /**
     * The caller loops (one per CPU, made on first use): the gateway's gRPC listeners serve their
     * connections on them, so a call's route, its agent call and its answer share one thread.
     */
    public io.netty.channel.EventLoopGroup callerLoopGroup() {
        io.netty.channel.EventLoopGroup group = callerLoops;
        if (group == null) {
            synchronized (this) {
                group = callerLoops;
                if (group == null) {
                    group = new io.netty.channel.nio.NioEventLoopGroup(Runtime.getRuntime().availableProcessors(),
                            new io.netty.util.concurrent.DefaultThreadFactory("gatehouse-agent-caller", true));
                    callerLoops = group;
                }
            }
        }
        return group;
    }

    @Override
    protected void doStop() throws Exception {
        io.netty.channel.EventLoopGroup group = callerLoops;
        callerLoops = null;
        if (group != null) {
            group.shutdownGracefully(0, 5, java.util.concurrent.TimeUnit.SECONDS);
        }
        super.doStop();
    }

    /**
     * Registers (or replaces) agent {@code name}: one listening agent's client, or the group of every agent
     * serving that name (listening or dialling in).
     */
    public void registerAgent(String name, AgentCalls client) {
        agents.put(name, client);
    }

    /** Removes agent {@code name}; returns its client, or null. The caller closes it. */
    public AgentCalls unregisterAgent(String name) {
        return agents.remove(name);
    }

    /** The registered agents by name. */
    public Map<String, AgentCalls> agents() {
        return Collections.unmodifiableMap(agents);
    }

    /** The client of agent {@code name}, or null. */
    AgentCalls agent(String name) {
        return agents.get(name);
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        if (!agents.containsKey(remaining)) {
            throw new IllegalArgumentException("unknown agent '" + remaining + "'; known agents: " + new TreeSet<>(agents.keySet()));
        }
        String service = getAndRemoveParameter(parameters, "service", String.class);
        if (service == null || service.isBlank()) {
            throw new IllegalArgumentException("agent:" + remaining + " needs ?service=NAME, the agent's service to call");
        }
        String stripPrefix = getAndRemoveParameter(parameters, "stripPrefix", String.class);
        return new AgentEndpoint(uri, this, remaining, service, stripPrefix);
    }
}
