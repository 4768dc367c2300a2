package io.gatehouse.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.engine.RequestIds;
import io.gatehouse.gateway.http.HttpAnswers;
import io.gatehouse.gateway.http.Problem;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Outcome;
import io.gatehouse.store.Store;
import io.gatehouse.store.StoreException;
import io.gatehouse.spi.approval.Approval;
import io.gatehouse.store.approval.ApprovalRefusedException;
import io.gatehouse.spi.approval.ApprovalStatus;
import io.gatehouse.store.approval.Approvals;
import io.gatehouse.spi.approval.Person;
import io.gatehouse.spi.approval.Vote;
import io.gatehouse.store.audit.AuditQuery;
import io.gatehouse.store.audit.CanonicalJson;
import io.gatehouse.store.breakglass.BreakGlassStore;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.regex.Matcher;
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
 * The approvals part of the admin API, on the admin port. Every call needs a token the admin API's
 * {@code auth} step accepts ({@code admin.auth}); what a caller may do then depends on the approval:
 *
 * <ul>
 *   <li>{@code GET /admin/approvals?status=pending&limit=100}: the approvals the caller may see (as
 *       requester, as a member of an approver group, or as an auditor), newest first</li>
 *   <li>{@code GET /admin/approvals/{id}}: one of them (404 for those they may not see)</li>
 *   <li>{@code POST /admin/approvals/{id}/approve} and {@code .../deny} with {@code {"reason": "..."}}:
 *       a member of an approver group decides; never on their own request</li>
 *   <li>{@code POST /admin/approvals/{id}/cancel}: the requester withdraws it</li>
 *   <li>{@code GET /admin/approvals/{id}/request}: the held request as the recording stored it (masked as
 *       stored), for whoever may see the approval; 404 when no recording step recorded it</li>
 * </ul>
 *
 * Each decision is an {@code approval} event in the audit trail, naming who decided and why.
 */
public final class ApprovalAdminRoutes extends RouteBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(ApprovalAdminRoutes.class);
    static final String BASE = "/admin/approvals";
    private static final Pattern ONE = Pattern.compile("/admin/approvals/([A-Za-z0-9._-]{1,64})(/approve|/deny|/cancel|/request)?");
    private static final int MAX_BODY = 16 * 1024;

    private final String host;
    private final int port;
    private final Approvals approvals;
    private final GatewayProcessor auth;
    private final List<String> auditors;
    private final ExecutorService executor;
    private final Clock clock;
    private final AuditQuery recordings;
    private final BreakGlassAdminCalls breakGlass;

    /**
     * @param auth the admin API's {@code auth} step, or null when {@code admin.auth} is not configured
     *             (every call is then refused)
     */
    public ApprovalAdminRoutes(String host, int port, Approvals approvals, GatewayProcessor auth,
                               List<String> auditors, ExecutorService executor, Clock clock) {
        this(host, port, approvals, null, auth, auditors, executor, clock, null);
    }

    /**
     * @param breakGlass break-glass windows and uses, served at {@code /admin/break-glass}; null: not served
     * @param recordings where held requests were recorded, for {@code .../request}; null answers 404 there
     */
    public ApprovalAdminRoutes(String host, int port, Approvals approvals, BreakGlassStore breakGlass,
                               GatewayProcessor auth, List<String> auditors, ExecutorService executor, Clock clock,
                               AuditQuery recordings) {
        this.recordings = recordings;
        this.breakGlass = breakGlass == null ? null : new BreakGlassAdminCalls(breakGlass, auditors);
        this.host = host;
        this.port = port;
        this.approvals = approvals;
        this.auth = auth;
        this.auditors = List.copyOf(auditors);
        this.executor = executor;
        this.clock = clock;
    }

    @Override
    public void configure() {
        from("netty-http:http://" + host + ":" + port + BASE + "?matchOnUriPrefix=true&mapHeaders=false")
                .routeId("gatehouse-admin-approvals").process(new Api());
        if (breakGlass != null) {
            from("netty-http:http://" + host + ":" + port + BreakGlassAdminCalls.BASE + "?matchOnUriPrefix=true")
                    .routeId("gatehouse-admin-break-glass").process(new Api());
        }
    }

    /** A JSON answer or a problem. */
    private record Answer(int status, JsonNode json, Problem problem) {
        static Answer ok(JsonNode json) {
            return new Answer(200, json, null);
        }

        static Answer problem(int status, String title, String detail) {
            return new Answer(status, null, Problem.of(status, title, detail));
        }

        static Answer problem(Outcome.Deny deny) {
            return new Answer(deny.status(), null, Problem.from(deny));
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
            byte[] body = netty.content().readableBytes() > MAX_BODY ? null : ByteBufUtil.getBytes(netty.content());
            String requestId = RequestIds.next();
            AdminExchange ax = new AdminExchange(requestId, new AdminExchange.Request(netty.method().name(),
                    uri.path(), uri.rawQuery(), headers, (InetSocketAddress) ctx.channel().remoteAddress()));
            authenticate(ax).whenComplete((denial, error) -> {
                if (error != null) {
                    LOG.error("approvals admin call {}: auth failed", requestId, error);
                    answer(exchange, callback, ax, Answer.problem(500, "Internal gateway error", "quote request id "
                            + requestId + " to the gateway's operators"));
                } else if (denial != null) {
                    answer(exchange, callback, ax, Answer.problem(denial));
                } else {
                    try {
                        executor.execute(() -> answer(exchange, callback, ax, run(ax, body)));
                    } catch (RuntimeException busy) {
                        answer(exchange, callback, ax, Answer.problem(503, "Busy", "the admin API is busy; retry"));
                    }
                }
            });
            return false;
        }
    }

    /** Null when the caller is identified, else the denial. */
    private CompletionStage<Outcome.Deny> authenticate(AdminExchange ax) {
        if (auth == null) {
            return CompletableFuture.completedFuture(Outcome.deny(403, "Admin API closed", "the admin API is closed:"
                    + " give gateway.yaml an admin.auth section (the auth step's config)",
                    new DecidingRule("admin", "no-admin-auth", "admin.auth is not configured")));
        }
        CompletionStage<Outcome> outcome;
        try {
            outcome = auth.onRequestAsync(ax);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return outcome.thenApply(o -> {
            if (o instanceof Outcome.Deny deny) {
                return deny;
            }
            return ax.identity().isPresent() ? null : Outcome.deny(401, "Authentication required",
                    "send Authorization: Bearer <access token>",
                    new DecidingRule("admin", "no-identity", "no caller was identified"));
        });
    }

    private void answer(Exchange exchange, AsyncCallback callback, AdminExchange ax, Answer answer) {
        try {
            String path = ax.request().path();
            if (answer.problem() != null) {
                HttpAnswers.problem(exchange, answer.problem(), ax.requestId(), path, false);
            } else {
                HttpAnswers.whole(exchange, answer.status(), new Headers(), "application/json",
                        answer.json().toPrettyString().getBytes(StandardCharsets.UTF_8), ax.requestId());
            }
        } catch (RuntimeException e) {
            LOG.error("approvals admin call {} failed", ax.requestId(), e);
            exchange.setException(e);
        } finally {
            callback.done(false);
        }
    }

    Answer run(AdminExchange ax, byte[] body) {
        String method = ax.request().method();
        String path = ax.request().path();
        Identity identity = ax.identity().orElseThrow();
        Person caller = Person.of(identity);
        try {
            if (breakGlass != null && path.startsWith(BreakGlassAdminCalls.BASE)) {
                JsonNode json = breakGlass.run(method, path, new QueryStringDecoder("?" + ax.request().query())
                        .parameters(), caller, body);
                LOG.info("break-glass admin call {} {} by {}", method, path, caller.username());
                return Answer.ok(json);
            }
            if (path.equals(BASE) || path.equals(BASE + "/")) {
                if (!method.equals("GET")) {
                    return Answer.problem(405, "Method not allowed", "GET " + BASE + " lists approvals");
                }
                return list(caller, new QueryStringDecoder("?" + ax.request().query()).parameters());
            }
            Matcher m = ONE.matcher(path);
            if (!m.matches()) {
                return Answer.problem(404, "Not found", "the admin API has no " + path.replaceAll("[^ -~]", "?"));
            }
            String id = m.group(1);
            String action = m.group(2);
            if (action == null) {
                if (!method.equals("GET")) {
                    return Answer.problem(405, "Method not allowed", "GET " + BASE + "/{id} shows an approval;"
                            + " POST to .../approve, .../deny or .../cancel");
                }
                return approvals.get(id).filter(a -> visible(a, caller)).map(a -> Answer.ok(json(a)))
                        .orElseGet(() -> Answer.problem(404, "Not found", "no approval with id '" + id + "'"));
            }
            if (action.equals("/request")) {
                if (!method.equals("GET")) {
                    return Answer.problem(405, "Method not allowed", "use GET " + path);
                }
                return heldRequest(id, caller);
            }
            if (!method.equals("POST")) {
                return Answer.problem(405, "Method not allowed", "use POST " + path);
            }
            if (body == null) {
                return Answer.problem(413, "Body too large", "the body of a decision is at most " + MAX_BODY
                        + " bytes");
            }
            Approval after = switch (action) {
                case "/approve" -> approvals.decide(id, caller, true, reason(body), grant(body));
                case "/deny" -> approvals.decide(id, caller, false, reason(body));
                default -> approvals.cancel(id, caller);
            };
            LOG.info("approval {}: {} by {}", id, action.substring(1), caller.username());
            return Answer.ok(json(after));
        } catch (ApprovalRefusedException e) {
            return new Answer(e.status(), null, new Problem(e.status(), e.title(), e.detail(),
                    new DecidingRule("approval", slug(e.title()), e.detail()), e.headers()));
        } catch (IllegalArgumentException e) {
            return Answer.problem(400, "Bad request", e.getMessage());
        } catch (StoreException e) {
            return Answer.problem(503, "Approvals unavailable", "the approval store cannot be reached: "
                    + e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("approvals admin call {} failed", ax.requestId(), e);
            return Answer.problem(500, "Internal gateway error", "quote request id " + ax.requestId()
                    + " to the gateway's operators (" + Store.rootMessage(e) + ")");
        }
    }

    private Answer list(Person caller, Map<String, List<String>> params) {
        for (String name : params.keySet()) {
            if (!Set.of("status", "limit").contains(name)) {
                throw new IllegalArgumentException("unknown parameter '" + name.replaceAll("[^ -~]", "?")
                        + "' (accepted: status, limit)");
            }
        }
        String s = first(params, "status");
        ApprovalStatus status = s == null || s.equals("all") ? null : ApprovalStatus.fromWire(s);
        int limit = 100;
        if (first(params, "limit") != null) {
            try {
                limit = Integer.parseInt(first(params, "limit"));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("limit must be a number between 1 and " + Approvals.MAX_LIST);
            }
        }
        Instant now = clock.instant();
        ArrayNode rows = CanonicalJson.MAPPER.createArrayNode();
        for (Approval a : approvals.list(status, limit)) {
            if (!visible(a, caller)) {
                continue;
            }
            if (status == ApprovalStatus.PENDING && a.effectiveStatus(now) != ApprovalStatus.PENDING) {
                continue; // expired, not yet swept
            }
            rows.add(json(a));
        }
        ObjectNode body = CanonicalJson.object();
        body.put("count", rows.size());
        body.set("approvals", rows);
        return Answer.ok(body);
    }

    /** The held exchange's start record: its request as stored (masked when the recording masks). */
    private Answer heldRequest(String id, Person caller) {
        Approval a = approvals.get(id).filter(x -> visible(x, caller)).orElse(null);
        if (a == null) {
            return Answer.problem(404, "Not found", "no approval with id '" + id + "'");
        }
        if (recordings == null || a.recordId() == null) {
            return Answer.problem(404, "Not recorded", "approval " + id + "'s request was not recorded (no recording"
                    + " step on endpoint " + a.endpointId() + ")");
        }
        try {
            ObjectNode record = recordings.show(a.recordId()).orElse(null);
            if (record == null) {
                return Answer.problem(404, "Not recorded", "approval " + id + "'s request was not recorded");
            }
            ObjectNode o = CanonicalJson.object();
            o.put("approvalId", id).put("recordId", a.recordId());
            o.set("request", record.path("request").deepCopy());
            o.set("operation", record.path("operation").deepCopy());
            return Answer.ok(o);
        } catch (java.sql.SQLException e) {
            throw new StoreException("cannot read the held request's record", e);
        }
    }

    /** Requester, approvers and auditors see an approval; nobody else learns it exists. */
    private boolean visible(Approval a, Person caller) {
        return caller.sameAccountAs(a.requester().issuer(), a.requester().subject()) || a.mayDecide(caller)
                || caller.groups().stream().anyMatch(auditors::contains);
    }

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(s|m|h|d)");

    /**
     * {@code "grant": {"amount": 100, "for": "1h"}} of an approval: fewer uses, for less time, than the held
     * request allows (a quota grant: N more requests or tokens for T); absent = all it allows.
     */
    static Approvals.Grant grant(byte[] body) {
        if (body.length == 0) {
            return null;
        }
        JsonNode grant;
        try {
            JsonNode node = CanonicalJson.MAPPER.readTree(body);
            grant = node == null ? null : node.get("grant");
        } catch (IOException e) {
            throw new IllegalArgumentException("the body must be a JSON object, e.g. {\"reason\": \"...\"}");
        }
        if (grant == null || grant.isNull()) {
            return null;
        }
        String example = " (e.g. \"grant\": {\"amount\": 100, \"for\": \"1h\"})";
        if (!grant.isObject() || !grant.path("amount").canConvertToInt() || !grant.path("for").isTextual()) {
            throw new IllegalArgumentException("grant needs an amount (a whole number) and for (a duration)" + example);
        }
        Matcher d = DURATION.matcher(grant.get("for").asText());
        if (!d.matches()) {
            throw new IllegalArgumentException("grant.for '" + grant.get("for").asText().replaceAll("[^ -~]", "?")
                    + "' is not a duration like 30s, 15m, 1h, 2d" + example);
        }
        long n = Long.parseLong(d.group(1));
        java.time.Duration lasting = switch (d.group(2)) {
            case "s" -> java.time.Duration.ofSeconds(n);
            case "m" -> java.time.Duration.ofMinutes(n);
            case "h" -> java.time.Duration.ofHours(n);
            default -> java.time.Duration.ofDays(n);
        };
        return new Approvals.Grant(grant.get("amount").asInt(), lasting);
    }

    private static String reason(byte[] body) {
        if (body.length == 0) {
            return null;
        }
        try {
            JsonNode node = CanonicalJson.MAPPER.readTree(body);
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException("the body must be a JSON object, e.g. {\"reason\": \"...\"}");
            }
            JsonNode reason = node.get("reason");
            return reason == null || reason.isNull() ? null : reason.asText();
        } catch (IOException e) {
            throw new IllegalArgumentException("the body must be a JSON object, e.g. {\"reason\": \"...\"}");
        }
    }

    ObjectNode json(Approval a) {
        ObjectNode o = CanonicalJson.object();
        o.put("id", a.id()).put("status", a.effectiveStatus(clock.instant()).wireName()).put("summary", a.summary())
                .put("endpoint", a.endpointId()).put("operation", a.operationKind()).put("model", a.model())
                .put("batch", a.batch()).put("method", a.method()).put("path", a.path())
                .put("requestDigest", a.digest()).put("heldRequestId", a.recordId());
        o.putObject("requester").put("username", a.requester().username()).put("subject", a.requester().subject())
                .put("issuer", a.requester().issuer());
        o.put("reason", a.reason());
        o.putObject("rule").put("policy", a.rule().policy()).put("rule", a.rule().rule())
                .put("reason", a.rule().reason());
        ArrayNode groups = o.putArray("approverGroups");
        new TreeSet<>(a.approverGroups()).forEach(groups::add);
        o.put("approvalsNeeded", a.approvalsNeeded()).put("approvals", a.approvals())
                .put("requireMfa", a.mfa().required() ? a.mfa().describe() : null)
                .put("maxUses", a.maxUses()).put("uses", a.uses())
                .put("createdAt", a.createdAt().toString()).put("expiresAt", a.expiresAt().toString())
                .put("decidedAt", a.decidedAt() == null ? null : a.decidedAt().toString())
                .put("grantExpiresAt", a.grantExpiresAt() == null ? null : a.grantExpiresAt().toString());
        ArrayNode votes = o.putArray("votes");
        for (Vote v : a.votes()) {
            votes.addObject().put("username", v.username()).put("decision", v.decision()).put("reason", v.reason())
                    .put("at", v.at().toString());
        }
        return o;
    }

    private static String first(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() || values.get(0).isBlank() ? null : values.get(0);
    }

    private static String slug(String title) {
        return title.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    }
}
