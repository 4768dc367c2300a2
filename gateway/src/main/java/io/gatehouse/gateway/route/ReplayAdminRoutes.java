package io.gatehouse.gateway.route;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.agent.AgentCalls;
import io.gatehouse.agent.camel.AgentComponent;
import io.gatehouse.config.EndpointConfig;
import io.gatehouse.gateway.admin.AdminAuth;
import io.gatehouse.gateway.admin.AdminCalls;
import io.gatehouse.gateway.admin.AuditAdminRoutes;
import io.gatehouse.gateway.admin.replay.SessionReplay;
import io.gatehouse.store.audit.AuditQuery;
import io.gatehouse.store.audit.AuditWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.camel.builder.RouteBuilder;

/**
 * Replay-and-diff on the admin port, for auditors who also hold the {@code replay} right
 * ({@code admin.replayers}); others get 403 problem+json. Every call is recorded like every admin call, and
 * each replay is also recorded as an exchange of its own (endpoint {@code replay}).
 * <ul>
 *   <li>{@code POST /admin/replay-diff/{id}?service=&agent=&ignore=&timeout=}: re-sends record {@code id}'s
 *       request to {@code service} (through {@code agent}, default the recorded endpoint's) and answers both
 *       answers and their diff; 404 no such record, 409 refused (incomplete or masked body, not forwarded,
 *       answer not whole: {@code maskedFields} lists masked fields), 502 the replay got no answer</li>
 *   <li>{@code POST /admin/replay-diff?service=&...}: the same for a page of the sessions list (its filters;
 *       {@code decision} defaults to {@code allowed}, {@code limit} to 20, at most 100), one after the other,
 *       with a summary (same, different, failed, skipped)</li>
 * </ul>
 */
final class ReplayAdminRoutes extends RouteBuilder {

    static final String BASE = "/admin/replay-diff";
    static final int BATCH_LIMIT = 20;
    static final int MAX_BATCH = 100;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final Set<String> OPTIONS = Set.of("service", "agent", "ignore", "timeout");

    private final String host;
    private final int port;
    private final AdminAuth auth;
    private final AdminCalls calls;
    private final SessionReplay replay;
    private final Clock clock;
    // Replays wait on a model: never on an event loop, and a few at a time.
    private final ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "gatehouse-admin-replay");
        t.setDaemon(true);
        return t;
    });

    ReplayAdminRoutes(String host, int port, Supplier<GatewayRuntime> runtime, AdminAuth auth, AuditWriter writer,
                      AuditQuery query, Clock clock) {
        this.host = host;
        this.port = port;
        this.auth = auth;
        this.clock = clock;
        this.calls = new AdminCalls(auth, writer, clock);
        this.replay = new SessionReplay(query, writer, name -> agent(runtime.get(), name),
                id -> endpoint(runtime.get(), id), clock);
    }

    private static AgentCalls agent(GatewayRuntime gateway, String name) {
        return gateway == null ? null
                : gateway.camel().getComponent(AgentComponent.SCHEME, AgentComponent.class).agents().get(name);
    }

    private static Optional<EndpointConfig> endpoint(GatewayRuntime gateway, String id) {
        return gateway == null ? Optional.empty()
                : gateway.applied().config().endpoints().stream().filter(e -> e.id().equals(id)).findFirst();
    }

    @Override
    public void configure() {
        from("netty-http:http://" + host + ":" + port + BASE + "?matchOnUriPrefix=true&mapHeaders=false")
                .routeId("gatehouse-admin-replay-diff")
                .process(calls.processor(executor, auth::replayRight, this::handle));
    }

    private AdminCalls.Answer handle(AdminCalls.Call call) throws Exception {
        if (!call.method().equals("POST")) {
            return AdminCalls.Answer.problem(405, "Method not allowed", "a replay sends a request to a model: use"
                    + " POST " + BASE + "/{id}?service=... or POST " + BASE + "?service=...&<sessions filters>", null);
        }
        SessionReplay.Options options;
        try {
            options = options(call);
            if (call.path().equals(BASE) || call.path().equals(BASE + "/")) {
                AuditQuery.Search search = AuditAdminRoutes.search(call.params(), OPTIONS, "allowed", BATCH_LIMIT,
                        clock);
                if (search.limit() > MAX_BATCH) {
                    throw new IllegalArgumentException("a batch replays at most " + MAX_BATCH + " exchanges (limit)");
                }
                return AdminCalls.Answer.json(replay.batch(search, options, call.identity()));
            }
        } catch (IllegalArgumentException e) {
            return AdminCalls.Answer.problem(400, "Bad request", e.getMessage(), null);
        }
        String id = call.path().substring(BASE.length() + 1);
        if (!ID.matcher(id).matches()) {
            return AdminCalls.Answer.problem(400, "Bad request", "'" + id.replaceAll("[^ -~]", "?")
                    + "' is not a record id", null);
        }
        for (String name : call.params().keySet()) {
            if (!OPTIONS.contains(name)) {
                return AdminCalls.Answer.problem(400, "Bad request", "unknown parameter '"
                        + name.replaceAll("[^ -~]", "?") + "' (accepted: agent, ignore, service, timeout)", null);
            }
        }
        SessionReplay.Result result = replay.one(id, options, call.identity());
        ObjectNode body = result.body();
        return switch (result.outcome()) {
            case SAME, DIFFERENT -> AdminCalls.Answer.json(body);
            case NOT_FOUND -> AdminCalls.Answer.problem(404, "Not found", body.path("reason").asText(), body);
            case REFUSED -> AdminCalls.Answer.problem(409, "Not replayable", body.path("reason").asText(), body);
            case FAILED -> AdminCalls.Answer.problem(502, "Replay failed", body.path("reason").asText(), body);
        };
    }

    private static SessionReplay.Options options(AdminCalls.Call call) {
        String ignore = call.param("ignore");
        List<String> ignored = ignore == null ? null : call.params().get("ignore").stream()
                .flatMap(v -> Arrays.stream(v.split(","))).map(String::strip)
                .filter(v -> !v.isEmpty() && !v.equals("none")).toList();
        String timeout = call.param("timeout");
        Duration t = null;
        if (timeout != null) {
            try {
                t = Duration.ofSeconds(Integer.parseInt(timeout.replaceAll("s$", "")));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("timeout must be seconds, like 60 or 60s");
            }
            if (t.isNegative() || t.isZero() || t.toSeconds() > 600) {
                throw new IllegalArgumentException("timeout must be between 1 and 600 seconds");
            }
        }
        return new SessionReplay.Options(call.param("service"), call.param("agent"), ignored, t);
    }
}
