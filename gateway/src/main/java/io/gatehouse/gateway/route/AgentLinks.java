package io.gatehouse.gateway.route;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.agent.AgentCalls;
import io.gatehouse.agent.AgentClient;
import io.gatehouse.agent.AgentGroup;
import io.gatehouse.agent.DevCertificates;
import io.gatehouse.agent.camel.AgentComponent;
import io.gatehouse.agent.tunnel.AgentTunnelServer;
import io.gatehouse.agent.tunnel.TunnelRefusal;
import io.gatehouse.agent.tunnel.TunnelSession;
import io.gatehouse.agent.tunnel.TunnelSettings;
import io.gatehouse.config.AgentConnectionConfig;
import io.gatehouse.config.AgentTunnelConfig;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.spi.audit.AuditEntry;
import io.gatehouse.spi.audit.AuditLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's links to its agents, whichever way they were opened: a client per listening agent, the
 * agent-tunnel listener for dialling agents, and per {@code agents.<name>} the {@link AgentCalls} the
 * {@code agent:} component sends through — the listening agent's client itself when it is the only one (the
 * path it always had), else an {@link AgentGroup} of all of them. Also what {@code /readyz} and the metrics
 * say about them, and the record of every agent the tunnel refused.
 */
final class AgentLinks implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AgentLinks.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The endpoint id refusals of dialling agents are recorded under in the audit chain. */
    static final String TUNNEL_RECORD_ENDPOINT = "agent-tunnel";

    private final Map<String, AgentCalls> byName;
    private final Map<String, AgentGroup> groups;
    private final List<AgentClient> clients;
    private final AgentTunnelServer tunnel;

    private AgentLinks(Map<String, AgentCalls> byName, Map<String, AgentGroup> groups, List<AgentClient> clients,
                       AgentTunnelServer tunnel) {
        this.byName = byName;
        this.groups = groups;
        this.clients = clients;
        this.tunnel = tunnel;
    }

    /**
     * Creates the clients of listening agents (they connect on first use) and binds the agent tunnel when
     * configured. A refused dialling agent is logged, counted and appended to {@code audit} (when given).
     */
    static AgentLinks open(GatewayConfig config, MeterRegistry metrics, AuditLog audit) throws IOException {
        Map<String, AgentCalls> byName = new LinkedHashMap<>();
        Map<String, AgentGroup> groups = new LinkedHashMap<>();
        List<AgentClient> clients = new ArrayList<>();
        AgentTunnelServer tunnel = null;
        try {
            Map<String, String> identities = new LinkedHashMap<>();
            for (AgentConnectionConfig agent : config.agents().values()) {
                AgentGroup group = new AgentGroup(agent.name());
                for (AgentConnectionConfig.Address address : agent.addresses()) {
                    AgentClient client = AgentConnections.connect(agent, address, config.dataDirectory());
                    clients.add(client);
                    group.add(client);
                }
                agent.identities().forEach(id -> identities.put(id, agent.name()));
                groups.put(agent.name(), group);
                boolean single = agent.addresses().size() == 1 && agent.identities().isEmpty();
                byName.put(agent.name(), single ? group.members().get(0) : group);
            }
            if (config.agentTunnel() != null) {
                tunnel = AgentTunnelServer.start(settings(config.agentTunnel(), identities, config), groups,
                        refusal -> refused(refusal, metrics, audit));
            }
        } catch (IOException | RuntimeException e) {
            clients.forEach(AgentClient::close);
            throw e;
        }
        AgentLinks links = new AgentLinks(byName, groups, clients, tunnel);
        links.registerMetrics(metrics);
        return links;
    }

    private static TunnelSettings settings(AgentTunnelConfig c, Map<String, String> identities, GatewayConfig config) {
        if (c.tls() != null) {
            return new TunnelSettings(c.host(), c.port(), c.tls().certificate(), c.tls().privateKey(),
                    c.tls().clientCa(), identities, c.slotWait());
        }
        DevCertificates.CertificateFiles dev = DevCertificates.ensure(config.dataDirectory());
        return new TunnelSettings(c.host(), c.port(), dev.gatewayCertificate(), dev.gatewayKey(), dev.caCertificate(),
                identities, c.slotWait());
    }

    /** When each (identity, reason, agent) refusal was last written to the audit chain. */
    private static final Map<String, Long> LAST_RECORDED = new java.util.concurrent.ConcurrentHashMap<>();
    /** A refused agent retries with back-off; its refusals are counted each time but recorded once a minute. */
    private static final long RECORD_EVERY_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);

    /**
     * Logs, counts and records one refused agent (a start and an end event, so the admin API lists it like an
     * exchange: endpoint {@value #TUNNEL_RECORD_ENDPOINT}, user the certificate identity, decision denied). Never
     * blocks: the audit append completes later.
     */
    private static void refused(TunnelRefusal r, MeterRegistry metrics, AuditLog audit) {
        Counter.builder("gatehouse.agents.refused").description("Dialling agents the agent tunnel refused")
                .tag("reason", r.reason()).register(metrics).increment();
        String key = r.identity() + "|" + r.issuer() + "|" + r.reason() + "|" + r.agent();
        long now = System.nanoTime();
        Long last = LAST_RECORDED.get(key);
        if (last != null && now - last < RECORD_EVERY_NANOS) {
            return; // counted; logged and recorded at most once a minute per agent and reason
        }
        if (LAST_RECORDED.size() > 10_000) {
            LAST_RECORDED.clear(); // bounded: a flood of distinct identities must not grow it without end
        }
        LAST_RECORDED.put(key, now);
        LOG.warn("agent refused at the tunnel: reason={} identity='{}' issuer='{}' agent='{}' remote={}: {}", r.reason(),
                r.identity(), r.issuer(), r.agent(), r.remote(), r.detail());
        if (audit == null) {
            return;
        }
        String id = "agent-refusal-" + UUID.randomUUID();
        TreeMap<String, Object> start = new TreeMap<>();
        start.put("event", "agent-attach");
        start.put("username", r.identity());
        start.put("identity", r.identity());
        start.put("issuer", r.issuer());
        start.put("agent", r.agent());
        start.put("remote", r.remote());
        TreeMap<String, Object> end = new TreeMap<>();
        end.put("decision", "denied");
        end.put("username", r.identity());
        end.put("reason", r.reason());
        end.put("detail", r.detail());
        end.put("status", 403);
        try {
            audit.append(new AuditEntry(AuditEntry.Kind.START, id, r.at(), TUNNEL_RECORD_ENDPOINT,
                    JSON.writeValueAsString(start)));
            audit.append(new AuditEntry(AuditEntry.Kind.END, id, r.at(), TUNNEL_RECORD_ENDPOINT,
                    JSON.writeValueAsString(end))).whenComplete((ok, e) -> {
                        if (e != null) {
                            LOG.error("the refusal of agent identity '{}' could not be recorded: {}", r.identity(),
                                    e.getMessage());
                        }
                    });
        } catch (IOException | RuntimeException e) {
            LOG.error("the refusal of agent identity '{}' could not be recorded: {}", r.identity(), e.getMessage());
        }
    }

    private void registerMetrics(MeterRegistry metrics) {
        groups.forEach((name, group) -> {
            Gauge.builder("gatehouse.agents.connected", group, g -> g.availableCount())
                    .description("Agents serving this name that take calls now (listening and dialling in)")
                    .tag("agent", name).register(metrics);
            Gauge.builder("gatehouse.agents.dialled.in", group,
                            g -> g.members().stream().filter(m -> m instanceof TunnelSession).count())
                    .description("Agents serving this name attached through the agent tunnel")
                    .tag("agent", name).register(metrics);
        });
    }

    void registerWith(AgentComponent component) {
        byName.forEach(component::registerAgent);
    }

    /** The port of the agent tunnel, or -1 without one. */
    int tunnelPort() {
        return tunnel == null ? -1 : tunnel.port();
    }

    /** The dialling agents attached now. */
    List<TunnelSession> sessions() {
        return tunnel == null ? List.of() : tunnel.sessions();
    }

    /**
     * One readiness check per agent name: reachable when at least one of its agents is (a listening one answers
     * its health call, a dialling one is attached), with which ones; else why none is.
     */
    Map<String, Function<Void, String>> readinessChecks() {
        Map<String, Function<Void, String>> checks = new LinkedHashMap<>();
        groups.forEach((name, group) -> checks.put(name, v -> check(group)));
        return checks;
    }

    private static String check(AgentGroup group) {
        List<String> up = new ArrayList<>();
        List<String> down = new ArrayList<>();
        for (AgentCalls member : group.members()) {
            if (member instanceof AgentClient client) {
                String problem = AgentConnections.check(client);
                (problem == null ? up : down).add("listening " + client.target()
                        + (problem == null ? "" : " (" + problem + ")"));
            } else if (member instanceof TunnelSession session) {
                (session.available() ? up : down).add("dialled in " + session.identity() + " from " + session.remote());
            }
        }
        if (up.isEmpty()) {
            return down.isEmpty() ? "no agent is connected (none listens at a configured address, none has dialled in)"
                    : String.join("; ", down);
        }
        if (group.members().size() == 1 && up.get(0).startsWith("listening")) {
            return null; // the one listening agent answers: "reachable", as always
        }
        return "reachable: " + up.size() + " of " + (up.size() + down.size()) + " (" + String.join("; ", up)
                + (down.isEmpty() ? "" : "; down: " + String.join("; ", down)) + ")";
    }

    /**
     * What {@code GET /admin/agents} shows: per agent name, how many of its agents take calls now and each one,
     * listening (the gateway dials it; asked for its health now) or dial-out (it dialled the gateway's tunnel).
     * Asks every listening agent for its health: call it on a pool, never on an event loop.
     */
    com.fasterxml.jackson.databind.node.ArrayNode status() {
        com.fasterxml.jackson.databind.node.ArrayNode out = JSON.createArrayNode();
        groups.forEach((name, group) -> {
            com.fasterxml.jackson.databind.node.ObjectNode agent = out.addObject();
            agent.put("name", name);
            com.fasterxml.jackson.databind.node.ArrayNode members = JSON.createArrayNode();
            int up = 0;
            for (AgentCalls member : group.members()) {
                com.fasterxml.jackson.databind.node.ObjectNode m = members.addObject();
                if (member instanceof AgentClient client) {
                    String problem = AgentConnections.check(client);
                    m.put("mode", "listening").put("address", client.target()).put("connected", problem == null);
                    if (problem != null) {
                        m.put("problem", problem);
                    }
                    up += problem == null ? 1 : 0;
                } else if (member instanceof TunnelSession session) {
                    m.put("mode", "dial-out").put("identity", session.identity()).put("remote", session.remote())
                            .put("instance", session.instance()).put("since", session.since().toString())
                            .put("connected", session.available()).put("idleSlots", session.idleSlots());
                    com.fasterxml.jackson.databind.node.ArrayNode services = m.putArray("services");
                    session.services().forEach(services::add);
                    up += session.available() ? 1 : 0;
                }
            }
            agent.put("connected", up).put("known", members.size());
            agent.set("members", members);
        });
        return out;
    }

    @Override
    public void close() {
        if (tunnel != null) {
            tunnel.close();
        }
        clients.forEach(AgentClient::close);
    }
}
