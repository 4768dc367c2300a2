package io.gatehouse.gateway.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.engine.RequestIds;
import io.gatehouse.gateway.http.HttpAnswers;
import io.gatehouse.gateway.http.Problem;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Outcome;
import io.gatehouse.store.Store;
import io.gatehouse.store.audit.AuditKey;
import io.gatehouse.store.audit.AuditQuery;
import io.gatehouse.store.audit.AuditVerifier;
import io.gatehouse.store.audit.CanonicalJson;
import io.gatehouse.store.audit.EventDraft;
import io.gatehouse.store.audit.EventType;
import io.gatehouse.store.audit.TrustedKeys;
import io.gatehouse.store.audit.VerifyReport;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.regex.Pattern;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.netty.NettyConstants;
import org.apache.camel.component.netty.http.NettyHttpMessage;
import org.apache.camel.support.AsyncProcessorSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recordings part of the admin API, on the admin port. Every call needs a token of an auditor
 * ({@link AdminAuth}) and is itself recorded (endpoint {@code admin}), before it is answered.
 *
 * <ul>
 *   <li>{@code GET /admin/sessions?user=&group=&endpoint=&model=&decision=&status=&since=&until=&session=&before=&limit=}:
 *       exchanges, newest first, a page at a time ({@code next} is the {@code before} of the next page)</li>
 *   <li>{@code GET /admin/sessions/{id}}: one exchange's full record (id: the record id, which is the
 *       {@code Gatehouse-Request-Id} the client saw, or {@code <replica>:<seq>})</li>
 *   <li>{@code GET /admin/sessions/{id}/replay}: its request and response, streamed chunks with times</li>
 *   <li>{@code GET /admin/audit/verify}: {@code audit verify} of every chain</li>
 *   <li>{@code GET /admin/audit/export?since=}: the JSON Lines export</li>
 *   <li>{@code GET /admin/audit/stats?window=1h|24h}: what the console plots (exchanges by decision,
 *       latency, denials by rule, masked values by detector, top callers)</li>
 * </ul>
 */
public final class AuditAdminRoutes extends RouteBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(AuditAdminRoutes.class);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final Set<String> DECISIONS = Set.of("allowed", "denied", "held", "responded", "failed",
            "client-gone", "incomplete", "open");
    private static final Set<String> KEPT_HEADERS = Set.of("user-agent", "accept", "host");

    private final String host;
    private final int port;
    private final AuditAdmin recordings;
    private final AdminAuth auth;
    private final ExecutorService executor;
    private final Clock clock;

    public AuditAdminRoutes(String host, int port, AuditAdmin recordings, AdminAuth auth, ExecutorService executor,
                            Clock clock) {
        this.host = host;
        this.port = port;
        this.recordings = recordings;
        this.auth = auth;
        this.executor = executor;
        this.clock = clock;
    }

    @Override
    public void configure() {
        // Two prefixes, not "/admin": other parts of the admin API (approvals) live beside these.
        Api api = new Api();
        from("netty-http:http://" + host + ":" + port + "/admin/sessions?matchOnUriPrefix=true&mapHeaders=false")
                .routeId("gatehouse-admin-sessions").process(api);
        from("netty-http:http://" + host + ":" + port + "/admin/audit?matchOnUriPrefix=true&mapHeaders=false")
                .routeId("gatehouse-admin-audit").process(api);
    }

    /** An answer: a status and a JSON or JSON Lines body, or a problem. */
    private record Answer(int status, String contentType, byte[] body, Problem problem, int results) {
        static Answer json(Object node, int results) {
            return new Answer(200, "application/json", CanonicalJson.MAPPER.valueToTree(node).toPrettyString()
                    .getBytes(StandardCharsets.UTF_8), null, results);
        }

        static Answer problem(int status, String title, String detail) {
            return new Answer(status, null, null, Problem.of(status, title, detail), 0);
        }
    }

    private final class Api extends AsyncProcessorSupport {

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            FullHttpRequest netty = exchange.getIn(NettyHttpMessage.class).getHttpRequest();
            ChannelHandlerContext ctx = exchange.getIn().getHeader(NettyConstants.NETTY_CHANNEL_HANDLER_CONTEXT,
                    ChannelHandlerContext.class);
            QueryStringDecoder uri = new QueryStringDecoder(netty.uri());
            Headers headers = new Headers();
            netty.headers().forEach(h -> headers.add(h.getKey(), h.getValue()));
            String requestId = RequestIds.next();
            AdminExchange ax = new AdminExchange(requestId, new AdminExchange.Request(netty.method().name(),
                    uri.path(), uri.rawQuery(), headers, (InetSocketAddress) ctx.channel().remoteAddress()));
            Instant start = clock.instant();
            recordings.writer().append(startEvent(ax, start)).whenComplete((ok, notDurable) -> {
                if (notDurable != null) {
                    finish(exchange, callback, ax, Answer.problem(503, "Recording unavailable", "the gateway cannot"
                            + " record this admin call, so it was not run; retry later"), null, start, false);
                    return;
                }
                auth.check(ax).whenComplete((decision, error) -> {
                    if (error != null) {
                        LOG.error("admin call {}: auth failed", requestId, error);
                        finish(exchange, callback, ax, Answer.problem(500, "Internal gateway error",
                                "quote request id " + requestId + " to the gateway's operators"), null, start, true);
                    } else if (decision.denial() != null) {
                        finish(exchange, callback, ax, null, decision.denial(), start, true);
                    } else {
                        try {
                            executor.execute(() -> finish(exchange, callback, ax, run(ax), null, start, true));
                        } catch (RuntimeException busy) {
                            finish(exchange, callback, ax, Answer.problem(503, "Busy", "the admin API is busy; retry"),
                                    null, start, true);
                        }
                    }
                });
            });
            return false;
        }
    }

    private void finish(Exchange exchange, AsyncCallback callback, AdminExchange ax, Answer answer,
                        Outcome.Deny denial, Instant start, boolean started) {
        try {
            String path = ax.request().path();
            int status;
            if (denial != null) {
                HttpAnswers.problem(exchange, Problem.from(denial), ax.requestId(), path, false);
                status = denial.status();
            } else if (answer.problem() != null) {
                HttpAnswers.problem(exchange, answer.problem(), ax.requestId(), path, false);
                status = answer.status();
            } else {
                HttpAnswers.whole(exchange, answer.status(), new Headers(), answer.contentType(), answer.body(),
                        ax.requestId());
                status = answer.status();
            }
            if (started) {
                recordings.writer().append(endEvent(ax, start, status, denial, answer)).whenComplete((ok, e) -> {
                    if (e != null) {
                        LOG.warn("admin call {}: its end record is not durable ({})", ax.requestId(), e.getMessage());
                    }
                });
            }
        } catch (RuntimeException e) {
            LOG.error("admin call {} failed", ax.requestId(), e);
            exchange.setException(e);
        } finally {
            callback.done(false);
        }
    }

    private Answer run(AdminExchange ax) {
        String method = ax.request().method();
        String path = ax.request().path();
        Map<String, List<String>> params = new QueryStringDecoder("?" + ax.request().query()).parameters();
        try {
            if (!method.equals("GET")) {
                return Answer.problem(405, "Method not allowed", "the admin API answers GET only");
            }
            if (path.equals("/admin/sessions")) {
                return list(params);
            }
            if (path.startsWith("/admin/sessions/")) {
                String rest = path.substring("/admin/sessions/".length());
                boolean replay = rest.endsWith("/replay");
                String id = replay ? rest.substring(0, rest.length() - "/replay".length()) : rest;
                if (!ID.matcher(id).matches()) {
                    return Answer.problem(400, "Bad request", "'" + id.replaceAll("[^ -~]", "?")
                            + "' is not a record id");
                }
                AuditQuery query = recordings.query();
                Optional<ObjectNode> found = replay ? query.replay(id) : query.show(id);
                return found.map(r -> Answer.json(r, 1)).orElseGet(() -> Answer.problem(404, "Not found",
                        "no record with id '" + id + "'"));
            }
            if (path.equals("/admin/audit/verify")) {
                return verify();
            }
            if (path.equals("/admin/audit/stats")) {
                String window = first(params, "window");
                if (window != null && !window.equals("1h") && !window.equals("24h")) {
                    throw new IllegalArgumentException("window must be 1h or 24h");
                }
                return Answer.json(new io.gatehouse.store.audit.AuditStats(recordings.store()).window(
                        "24h".equals(window) ? Duration.ofHours(24) : Duration.ofHours(1), clock.instant()), 1);
            }
            if (path.equals("/admin/audit/export")) {
                Instant since = params.containsKey("since") ? Since.parse(params.get("since").get(0), clock) : null;
                StringWriter out = new StringWriter();
                long lines = recordings.query().export(since, out);
                return new Answer(200, "application/x-ndjson", out.toString().getBytes(StandardCharsets.UTF_8),
                        null, (int) Math.min(Integer.MAX_VALUE, lines));
            }
            return Answer.problem(404, "Not found", "the admin API has no " + path.replaceAll("[^ -~]", "?"));
        } catch (IllegalArgumentException e) {
            return Answer.problem(400, "Bad request", e.getMessage());
        } catch (Exception e) {
            LOG.error("admin call {} failed", ax.requestId(), e);
            return Answer.problem(500, "Internal gateway error", "the query failed; quote request id "
                    + ax.requestId() + " to the gateway's operators (" + Store.rootMessage(e) + ")");
        }
    }

    private static final Set<String> LIST_PARAMETERS = Set.of("user", "group", "endpoint", "model", "decision",
            "status", "since", "until", "session", "before", "limit");

    private Answer list(Map<String, List<String>> params) throws Exception {
        AuditQuery.Page page = recordings.query().page(search(params, Set.of(), null, 100, clock));
        ObjectNode body = CanonicalJson.object();
        body.put("count", page.rows().size());
        body.set("sessions", page.rows());
        body.put("next", page.next());
        body.put("scanned", page.scanned());
        return Answer.json(body, page.rows().size());
    }

    /**
     * The sessions list's filters from a query ({@code user}, {@code group}, {@code endpoint}, {@code model},
     * {@code decision}, {@code status}, {@code since}, {@code until}, {@code session}, {@code before},
     * {@code limit}), checked; {@code extra} names the other parameters the caller accepts.
     *
     * @param decision the decision when the query names none (null: any)
     * @throws IllegalArgumentException naming an unknown parameter or a bad value
     */
    public static AuditQuery.Search search(Map<String, List<String>> params, Set<String> extra, String decision,
                                           int limit, Clock clock) {
        for (String name : params.keySet()) {
            if (!LIST_PARAMETERS.contains(name) && !extra.contains(name)) {
                java.util.TreeSet<String> accepted = new java.util.TreeSet<>(LIST_PARAMETERS);
                accepted.addAll(extra);
                throw new IllegalArgumentException("unknown parameter '" + name.replaceAll("[^ -~]", "?")
                        + "' (accepted: " + String.join(", ", accepted) + ")");
            }
        }
        String d = first(params, "decision") == null ? decision : first(params, "decision");
        if (d != null && !DECISIONS.contains(d)) {
            throw new IllegalArgumentException("decision '" + d.replaceAll("[^ -~]", "?") + "' is not one of "
                    + String.join(", ", new java.util.TreeSet<>(DECISIONS)));
        }
        String since = first(params, "since");
        String until = first(params, "until");
        int n = number(params, "limit", limit, "limit must be a number between 1 and " + AuditQuery.MAX_LIMIT);
        String s = first(params, "status");
        Integer status = s == null ? null : number(params, "status", 0, "status must be an HTTP status, like 403");
        return new AuditQuery.Search(first(params, "user"), first(params, "group"), first(params, "endpoint"),
                first(params, "model"), d, status, since == null ? null : Since.parse(since, clock),
                until == null ? null : Since.parse(until, clock), first(params, "session"), first(params, "before"), n);
    }

    private static int number(Map<String, List<String>> params, String name, int absent, String message) {
        String value = first(params, name);
        if (value == null) {
            return absent;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(message);
        }
    }

    private Answer verify() throws Exception {
        try (Connection c = recordings.store().connection()) {
            TrustedKeys keys = TrustedKeys.none().pin(recordings.writer().key().publicKey(),
                    "this gateway's " + recordings.writer().settings().keyDirectory().resolve("audit-key.pub.pem"))
                    .withStoreKeys(c);
            VerifyReport report = AuditVerifier.verify(c, keys);
            ObjectNode body = CanonicalJson.object();
            body.put("ok", report.ok());
            body.put("report", report.describe());
            ArrayNode chains = body.putArray("chains");
            for (VerifyReport.Chain chain : report.chains()) {
                ObjectNode c1 = chains.addObject();
                c1.put("replica", chain.replicaId()).put("ok", chain.ok()).put("events", chain.events())
                        .put("firstSeq", chain.firstSeq()).put("lastSeq", chain.lastSeq())
                        .put("checkpoints", chain.checkpoints()).put("removed", chain.removed())
                        .put("unsealed", chain.unsealed());
                recordings.query().lastCheckpoint(chain.replicaId()).ifPresent(cp -> c1.set("lastCheckpoint", cp));
                if (chain.problem() != null) {
                    c1.putObject("problem").put("kind", chain.problem().kind().name().toLowerCase(Locale.ROOT))
                            .put("seq", chain.problem().seq()).put("message", chain.problem().message());
                }
            }
            return Answer.json(body, report.chains().size());
        }
    }

    private static String first(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() || values.get(0).isBlank() ? null : values.get(0);
    }

    // ---- the admin call's own record ----

    static EventDraft startEvent(AdminExchange ax, Instant start) {
        ObjectNode p = CanonicalJson.object();
        ObjectNode req = p.putObject("request");
        AdminExchange.Request r = ax.request();
        req.put("method", r.method()).put("path", r.path()).put("query", r.query())
                .put("clientAddress", r.clientAddress() == null ? null
                        : r.clientAddress().getAddress().getHostAddress() + ":" + r.clientAddress().getPort());
        ObjectNode headers = req.putObject("headers");
        r.headers().toMap().forEach((name, values) -> {
            ArrayNode list = headers.putArray(name);
            boolean kept = KEPT_HEADERS.contains(name.toLowerCase(Locale.ROOT));
            values.forEach(v -> list.add(kept ? v : "[redacted]"));
        });
        req.putObject("body").put("size", 0).put("truncated", false).put("text", "");
        p.putObject("operation").put("protocol", "admin").put("kind", "admin-query").putNull("model")
                .put("stream", false).put("batch", 0).putNull("maxTokens");
        return EventDraft.of(EventType.START, ax.requestId(), start, AdminExchange.ENDPOINT, p);
    }

    private EventDraft endEvent(AdminExchange ax, Instant start, int status, Outcome.Deny denial, Answer answer) {
        ObjectNode p = CanonicalJson.object();
        boolean denied = denial != null;
        boolean failed = !denied && answer.problem() != null && status >= 500;
        p.put("outcome", denied ? "denied" : failed ? "failed" : "answered")
                .put("decision", denied ? "denied" : failed ? "failed" : "allowed").put("status", status)
                .put("complete", true).put("durationMs", Duration.between(start, clock.instant()).toMillis());
        Identity identity = ax.identity().orElse(null);
        if (identity != null) {
            ObjectNode i = p.putObject("identity");
            i.put("subject", identity.subject()).put("username", identity.username())
                    .put("issuer", identity.issuer()).put("clientId", identity.clientId());
            ArrayNode groups = i.putArray("groups");
            new java.util.TreeSet<>(identity.groups()).forEach(groups::add);
            p.put("username", identity.username());
            if (identity.sessionId() != null) {
                p.put("sessionId", identity.sessionId());
            }
        } else {
            p.putNull("identity");
        }
        if (denied) {
            p.putObject("rule").put("policy", denial.rule().policy()).put("rule", denial.rule().rule())
                    .put("reason", denial.rule().reason());
            p.putObject("denial").put("title", denial.title()).put("detail", denial.detail());
        }
        p.putNull("approvalId").putNull("masking").put("bytesIn", 0)
                .put("bytesOut", answer == null || answer.body() == null ? 0 : answer.body().length);
        ObjectNode response = p.putObject("response");
        response.put("status", status).put("streamed", false);
        if (answer != null && answer.problem() == null) {
            response.put("results", answer.results());
        }
        return EventDraft.of(EventType.END, ax.requestId(), clock.instant(), AdminExchange.ENDPOINT, p);
    }
}
