package io.gatehouse.gateway.route;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.gateway.admin.AdminAuth;
import io.gatehouse.gateway.admin.AdminCalls;
import io.gatehouse.gateway.pipeline.EndpointPipeline;
import io.gatehouse.gateway.reload.ConfigHistory;
import io.gatehouse.store.audit.AuditWriter;
import io.gatehouse.store.audit.CanonicalJson;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.apache.camel.builder.RouteBuilder;

/**
 * The config part of the admin API, on the admin port, for members of {@code admin.auditors}; each call
 * is recorded like every admin call:
 * <ul>
 *   <li>{@code GET /admin/config}: the version this replica serves (who applied it, when, how), its files,
 *       its endpoints with their in-flight exchanges, and the version of every replica on the same store</li>
 *   <li>{@code POST /admin/config/reload}: applies the config directory as it is now, or refuses it whole
 *       (422 problem+json listing every error, exactly as {@code config validate} prints them)</li>
 *   <li>{@code GET /admin/agents}: every agent name with its agents, listening (asked for their health now) or
 *       dial-out (attached to the agent tunnel), and how many take calls now</li>
 * </ul>
 */
final class ConfigAdminRoutes extends RouteBuilder {

    private final String host;
    private final int port;
    private final Supplier<GatewayRuntime> runtime;
    private final AdminCalls calls;
    // Reloads read files and create processors: never on an event loop, one at a time.
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "gatehouse-config-admin");
        t.setDaemon(true);
        return t;
    });

    ConfigAdminRoutes(String host, int port, Supplier<GatewayRuntime> runtime, AdminAuth auth, AuditWriter writer,
                      Clock clock) {
        this.host = host;
        this.port = port;
        this.runtime = runtime;
        this.calls = new AdminCalls(auth, writer, clock);
    }

    @Override
    public void configure() {
        org.apache.camel.AsyncProcessor processor = calls.processor(executor, (method, path, caller) -> {
            GatewayRuntime gateway = runtime.get();
            if (gateway == null) {
                return AdminCalls.Answer.problem(503, "Starting", "the gateway is starting; retry", null);
            }
            if (path.equals("/admin/agents")) {
                if (!method.equals("GET")) {
                    return AdminCalls.Answer.problem(405, "Method not allowed", "use GET /admin/agents", null);
                }
                ObjectNode body = CanonicalJson.object();
                body.put("replica", gateway.history().replicaId());
                body.set("agents", gateway.agentStatus());
                return AdminCalls.Answer.json(body);
            }
            if (path.equals("/admin/config") && method.equals("GET")) {
                return AdminCalls.Answer.json(status(gateway));
            }
            if (path.equals("/admin/config/reload") && method.equals("POST")) {
                return reload(gateway, caller);
            }
            if (path.equals("/admin/config") || path.equals("/admin/config/reload")) {
                return AdminCalls.Answer.problem(405, "Method not allowed", "use GET /admin/config or POST"
                        + " /admin/config/reload", null);
            }
            return AdminCalls.Answer.problem(404, "Not found", "the admin API has no "
                    + path.replaceAll("[^ -~]", "?"), null);
        });
        from("netty-http:http://" + host + ":" + port + "/admin/config?matchOnUriPrefix=true")
                .routeId("gatehouse-admin-config").process(processor);
        from("netty-http:http://" + host + ":" + port + "/admin/agents")
                .routeId("gatehouse-admin-agents").process(processor);
    }

    private static AdminCalls.Answer reload(GatewayRuntime gateway, String caller) {
        GatewayRuntime.ReloadResult result = gateway.reload(caller, "admin-api");
        ObjectNode body = result(result);
        if (!result.applied()) {
            return AdminCalls.Answer.problem(422, "Config refused", result.errors().size() + " error(s) in "
                    + gateway.applied().config().directory() + "; the running config (" + result.version()
                    + ") still serves. Fix them and reload again (check with: gatehouse config validate DIR)",
                    body);
        }
        return AdminCalls.Answer.json(body);
    }

    static ObjectNode result(GatewayRuntime.ReloadResult result) {
        ObjectNode body = CanonicalJson.object();
        body.put("outcome", result.outcome().name().toLowerCase(java.util.Locale.ROOT));
        body.put("version", result.version());
        body.put("previousVersion", result.previousVersion());
        strings(body.putArray("errors"), result.errors());
        ObjectNode files = body.putObject("files");
        strings(files.putArray("added"), result.files().added());
        strings(files.putArray("removed"), result.files().removed());
        strings(files.putArray("changed"), result.files().changed());
        ObjectNode endpoints = body.putObject("endpoints");
        strings(endpoints.putArray("added"), result.endpointsAdded());
        strings(endpoints.putArray("removed"), result.endpointsRemoved());
        strings(endpoints.putArray("changed"), result.endpointsChanged());
        strings(endpoints.putArray("unchanged"), result.endpointsUnchanged());
        return body;
    }

    static ObjectNode status(GatewayRuntime gateway) throws Exception {
        GatewayRuntime.Applied applied = gateway.applied();
        ObjectNode body = CanonicalJson.object();
        body.put("replica", gateway.history().replicaId());
        body.put("version", applied.version().version());
        body.put("appliedAt", applied.at().toString());
        body.put("appliedBy", applied.by());
        body.put("trigger", applied.trigger());
        body.put("directory", applied.config().directory().toString());
        body.put("draining", gateway.draining());
        ObjectNode files = body.putObject("files");
        applied.version().files().forEach(files::put);
        ArrayNode endpoints = body.putArray("endpoints");
        for (EndpointPipeline p : gateway.pipelines()) {
            ObjectNode e = endpoints.addObject();
            e.put("id", p.id()).put("version", p.version()).put("inFlight", p.inFlightCount());
            ArrayNode steps = e.putArray("steps");
            p.steps().forEach(s -> steps.add(s.nodeId()));
        }
        body.put("retiredInFlight", gateway.retiredInFlight());
        ArrayNode replicas = body.putArray("replicas");
        for (ConfigHistory.ReplicaVersion r : gateway.history().replicas()) {
            replicas.addObject().put("replica", r.replica()).put("version", r.version())
                    .put("appliedAt", r.appliedAt().toString()).put("appliedBy", r.appliedBy())
                    .put("seenAt", r.seenAt().toString())
                    .put("matchesThisReplica", r.version().equals(applied.version().version()));
        }
        return body;
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }
}
