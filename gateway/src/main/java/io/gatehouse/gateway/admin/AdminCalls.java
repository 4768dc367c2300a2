package io.gatehouse.gateway.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.engine.RequestIds;
import io.gatehouse.gateway.http.HttpAnswers;
import io.gatehouse.gateway.http.Problem;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Outcome;
import io.gatehouse.store.audit.AuditWriter;
import io.gatehouse.store.audit.CanonicalJson;
import io.gatehouse.store.audit.EventDraft;
import io.gatehouse.store.audit.EventType;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.Exchange;
import org.apache.camel.component.netty.NettyConstants;
import org.apache.camel.component.netty.http.NettyHttpMessage;
import org.apache.camel.support.AsyncProcessorSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An admin API call as every part of the admin API makes it: recorded (endpoint {@code admin}) before it
 * runs, the caller checked by {@link AdminAuth} (a member of {@code admin.auditors}), the work done on a
 * pool (never on the event loop), the answer JSON or problem+json, and the end recorded.
 */
public final class AdminCalls {

    private static final Logger LOG = LoggerFactory.getLogger(AdminCalls.class);

    /** An answer: JSON, or a problem whose body may carry more members ({@code errors} …). */
    public record Answer(int status, ObjectNode json, String title, String detail) {
        public static Answer json(ObjectNode body) {
            return new Answer(200, body, null, null);
        }

        public static Answer problem(int status, String title, String detail, ObjectNode members) {
            return new Answer(status, members, title, detail);
        }

        boolean isProblem() {
            return title != null;
        }
    }

    /** The work of one call: method, path and the caller's user name. */
    @FunctionalInterface
    public interface Handler {
        Answer handle(String method, String path, String caller) throws Exception;
    }

    /** One call as a handler that needs more than the caller's name sees it: its query and the caller. */
    public record Call(String requestId, String method, String path, Map<String, List<String>> params,
                       Identity identity) {
        /** The first non-blank value of a query parameter, or null. */
        public String param(String name) {
            List<String> values = params.get(name);
            return values == null || values.isEmpty() || values.get(0).isBlank() ? null : values.get(0);
        }
    }

    /** The work of one call that reads its query or the caller's identity. */
    @FunctionalInterface
    public interface CallHandler {
        Answer handle(Call call) throws Exception;
    }

    private final AdminAuth auth;
    private final AuditWriter writer;
    private final Clock clock;

    public AdminCalls(AdminAuth auth, AuditWriter writer, Clock clock) {
        this.auth = auth;
        this.writer = writer;
        this.clock = clock;
    }

    public AsyncProcessor processor(ExecutorService executor, Handler handler) {
        return processor(executor, null, call -> handler.handle(call.method(), call.path(),
                call.identity().username() != null ? call.identity().username() : call.identity().subject()));
    }

    /**
     * @param right null, or a further check of the caller once {@link AdminAuth} accepted them (an admin right
     *              such as {@code replay}): a denial it returns is the answer, recorded as a denial
     */
    public AsyncProcessor processor(ExecutorService executor, Function<Identity, Outcome.Deny> right,
                                    CallHandler handler) {
        return new AsyncProcessorSupport() {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                FullHttpRequest netty = exchange.getIn(NettyHttpMessage.class).getHttpRequest();
                ChannelHandlerContext ctx = exchange.getIn().getHeader(NettyConstants.NETTY_CHANNEL_HANDLER_CONTEXT,
                        ChannelHandlerContext.class);
                QueryStringDecoder uri = new QueryStringDecoder(netty.uri());
                Headers headers = new Headers();
                netty.headers().forEach(h -> headers.add(h.getKey(), h.getValue()));
                AdminExchange ax = new AdminExchange(RequestIds.next(), new AdminExchange.Request(
                        netty.method().name(), uri.path(), uri.rawQuery(), headers,
                        (InetSocketAddress) ctx.channel().remoteAddress()));
                Instant start = clock.instant();
                writer.append(AuditAdminRoutes.startEvent(ax, start)).whenComplete((ok, notDurable) -> {
                    if (notDurable != null) {
                        finish(exchange, callback, ax, Answer.problem(503, "Recording unavailable", "the gateway"
                                + " cannot record this admin call, so it was not run; retry later", null), null, start,
                                false);
                        return;
                    }
                    auth.check(ax).whenComplete((decision, error) -> {
                        if (error != null) {
                            LOG.error("admin call {}: auth failed", ax.requestId(), error);
                            finish(exchange, callback, ax, Answer.problem(500, "Internal gateway error", "quote"
                                    + " request id " + ax.requestId() + " to the gateway's operators", null), null,
                                    start, true);
                        } else if (decision.denial() != null) {
                            finish(exchange, callback, ax, null, decision.denial(), start, true);
                        } else if (right != null && right.apply(decision.identity()) != null) {
                            finish(exchange, callback, ax, null, right.apply(decision.identity()), start, true);
                        } else {
                            Call call = new Call(ax.requestId(), ax.request().method(), ax.request().path(),
                                    new QueryStringDecoder("?" + (ax.request().query() == null ? ""
                                            : ax.request().query())).parameters(), decision.identity());
                            try {
                                executor.execute(() -> finish(exchange, callback, ax, run(handler, ax, call), null,
                                        start, true));
                            } catch (RuntimeException busy) {
                                finish(exchange, callback, ax, Answer.problem(503, "Busy", "the admin API is busy;"
                                        + " retry", null), null, start, true);
                            }
                        }
                    });
                });
                return false;
            }
        };
    }

    private static Answer run(CallHandler handler, AdminExchange ax, Call call) {
        try {
            return handler.handle(call);
        } catch (Exception e) {
            LOG.error("admin call {} failed", ax.requestId(), e);
            return Answer.problem(500, "Internal gateway error", "quote request id " + ax.requestId()
                    + " to the gateway's operators (" + e.getMessage() + ")", null);
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
            } else if (answer.isProblem()) {
                ObjectNode body = answer.json() == null ? CanonicalJson.object() : answer.json().deepCopy();
                body.put("type", "about:blank").put("title", answer.title()).put("status", answer.status())
                        .put("detail", answer.detail()).put("instance", path).put("requestId", ax.requestId());
                HttpAnswers.whole(exchange, answer.status(), new Headers(), Problem.CONTENT_TYPE,
                        body.toPrettyString().getBytes(StandardCharsets.UTF_8), ax.requestId());
                status = answer.status();
            } else {
                HttpAnswers.whole(exchange, answer.status(), new Headers(), "application/json",
                        answer.json().toPrettyString().getBytes(StandardCharsets.UTF_8), ax.requestId());
                status = answer.status();
            }
            if (started) {
                writer.append(endEvent(ax, start, status, denial)).whenComplete((ok, e) -> {
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

    private EventDraft endEvent(AdminExchange ax, Instant start, int status, Outcome.Deny denial) {
        ObjectNode p = CanonicalJson.object();
        boolean denied = denial != null;
        boolean failed = !denied && status >= 500;
        p.put("outcome", denied ? "denied" : failed ? "failed" : "answered")
                .put("decision", denied ? "denied" : failed ? "failed" : "allowed").put("status", status)
                .put("complete", true).put("durationMs", Duration.between(start, clock.instant()).toMillis());
        Identity identity = ax.identity().orElse(null);
        if (identity != null) {
            ObjectNode i = p.putObject("identity");
            i.put("subject", identity.subject()).put("username", identity.username())
                    .put("issuer", identity.issuer()).put("clientId", identity.clientId());
            var groups = i.putArray("groups");
            new java.util.TreeSet<>(identity.groups()).forEach(groups::add);
            p.put("username", identity.username());
        } else {
            p.putNull("identity");
        }
        if (denied) {
            p.putObject("rule").put("policy", denial.rule().policy()).put("rule", denial.rule().rule())
                    .put("reason", denial.rule().reason());
            p.putObject("denial").put("title", denial.title()).put("detail", denial.detail());
        }
        p.putNull("approvalId").putNull("masking").put("bytesIn", 0);
        p.putObject("response").put("status", status).put("streamed", false);
        return EventDraft.of(EventType.END, ax.requestId(), clock.instant(), AdminExchange.ENDPOINT, p);
    }
}
