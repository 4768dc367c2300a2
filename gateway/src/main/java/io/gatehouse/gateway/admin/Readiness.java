package io.gatehouse.gateway.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Whether the gateway can serve: every endpoint route started and every agent reachable. Agent
 * checks are cached briefly so a probe storm does not become an agent storm.
 */
public final class Readiness {

    /** The answer of {@code /readyz}; {@code store} is null when no store is checked. */
    public record Report(boolean ready, boolean routesStarted, Map<String, String> agents, String store,
                         boolean isDraining) {
        public Report(boolean ready, boolean routesStarted, Map<String, String> agents, String store) {
            this(ready, routesStarted, agents, store, false);
        }

        /** The same report while the gateway drains before a stop: not ready, so balancers send elsewhere. */
        public Report draining() {
            return new Report(false, routesStarted, agents, store, true);
        }

        public String toJson() {
            ObjectNode node = new ObjectMapper().createObjectNode();
            node.put("status", isDraining ? "DRAINING" : ready ? "READY" : "NOT_READY");
            node.put("routes", routesStarted ? "started" : "not started");
            ObjectNode a = node.putObject("agents");
            agents.forEach(a::put);
            if (store != null) {
                node.put("store", store);
            }
            return node.toString();
        }
    }

    /** A part of the gateway besides routes and agents: whether it lets the gateway serve, and its state. */
    public record Part(boolean ok, String state) {
    }

    private static final long CACHE_NANOS = 2_000_000_000L;

    private final BooleanSupplier routesStarted;
    private final Map<String, Function<Void, String>> agentChecks;
    private final java.util.function.Supplier<Part> store;
    private volatile Report cached;
    private volatile long cachedAt;

    /**
     * @param agentChecks agent name → a check returning null when the agent answers, else why not
     */
    public Readiness(BooleanSupplier routesStarted, Map<String, Function<Void, String>> agentChecks) {
        this(routesStarted, agentChecks, null);
    }

    /** @param store the store's state (audit records durable?), or null when there is no store to check */
    public Readiness(BooleanSupplier routesStarted, Map<String, Function<Void, String>> agentChecks,
                     java.util.function.Supplier<Part> store) {
        this.routesStarted = routesStarted;
        this.agentChecks = agentChecks;
        this.store = store;
    }

    public synchronized Report check() {
        long now = System.nanoTime();
        if (cached != null && now - cachedAt < CACHE_NANOS) {
            return cached;
        }
        boolean routes = routesStarted.getAsBoolean();
        Map<String, String> agents = new TreeMap<>();
        boolean allAgents = true;
        for (Map.Entry<String, Function<Void, String>> check : agentChecks.entrySet()) {
            String problem;
            try {
                problem = check.getValue().apply(null);
            } catch (RuntimeException e) {
                problem = e.getMessage();
            }
            // A check may answer "reachable: <which ones>" (several agents serve one name): still reachable.
            boolean reachable = problem == null || problem.startsWith("reachable");
            agents.put(check.getKey(), problem == null ? "reachable" : reachable ? problem : "unreachable: " + problem);
            allAgents &= reachable;
        }
        Part part = store == null ? null : store.get();
        cached = new Report(routes && allAgents && (part == null || part.ok()), routes, agents,
                part == null ? null : part.state());
        cachedAt = now;
        return cached;
    }
}
