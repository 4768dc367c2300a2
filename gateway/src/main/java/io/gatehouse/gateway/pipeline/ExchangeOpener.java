package io.gatehouse.gateway.pipeline;

import io.gatehouse.engine.InboundRequest;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.engine.RequestIds;
import io.gatehouse.gateway.http.ListenerRefusals;
import io.gatehouse.gateway.http.Refusal;
import io.gatehouse.gateway.protocol.MalformedRequestException;
import io.gatehouse.gateway.protocol.ProtocolAdapter;
import io.gatehouse.gateway.tracing.GatewayTracing;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.StandardAttributes;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.netty.NettyConstants;
import org.apache.camel.component.netty.http.NettyHttpMessage;

/**
 * The first node of every endpoint route: turns the Netty request into a {@link PipelineExchange}
 * (request id, headers without the gateway's own namespace, bounded body) and lets the protocol
 * adapter parse it once into an {@link Operation}.
 */
public final class ExchangeOpener implements Processor {

    /**
     * The only {@code Gatehouse-*} headers a client may send: {@code Gatehouse-Approval} (the id of an
     * approval it retries with) and {@code Gatehouse-Reason} (why it asks), both read by the approval
     * step, which checks them against the store and removes them; and {@code Gatehouse-Break-Glass} (a
     * justification for breaking glass), read and removed by the policy step. Every other is dropped.
     */
    public static final java.util.Set<String> CLIENT_HEADERS = java.util.Set.of("gatehouse-approval", "gatehouse-reason",
            "gatehouse-break-glass");

    private final EndpointSlot slot;
    private final String pathPrefix;
    private final Consumer<PipelineExchange.CompletedExchange> completionListener;
    /** Null when tracing is off: then no exchange carries a trace. */
    private final GatewayTracing tracing;

    /**
     * @param slot       where the route finds the endpoint pipeline of its next request (swapped by reloads)
     * @param pathPrefix the path the route listens on
     */
    public ExchangeOpener(EndpointSlot slot, String pathPrefix,
                          Consumer<PipelineExchange.CompletedExchange> completionListener) {
        this(slot, pathPrefix, completionListener, null);
    }

    /** @param tracing the gateway's traces; null when tracing is off */
    public ExchangeOpener(EndpointSlot slot, String pathPrefix,
                          Consumer<PipelineExchange.CompletedExchange> completionListener, GatewayTracing tracing) {
        this.tracing = tracing;
        this.slot = slot;
        this.pathPrefix = pathPrefix;
        this.completionListener = completionListener;
    }

    @Override
    public void process(Exchange exchange) {
        long start = System.nanoTime();
        // The one read of the swapped pipeline: every later node of this exchange reads this capture.
        EndpointPipeline pipeline = slot.current();
        String requestId = RequestIds.next();
        FullHttpRequest netty = exchange.getIn(NettyHttpMessage.class).getHttpRequest();
        ChannelHandlerContext ctx = exchange.getIn().getHeader(NettyConstants.NETTY_CHANNEL_HANDLER_CONTEXT,
                ChannelHandlerContext.class);
        if (pipeline == null) {
            // No endpoint serves this path (none was ever, or a reload removed it): no endpoint saw it, so the
            // listener records it as its own refusal. A listener refusal here (bad framing or target) keeps its
            // own answer; the raw path, since a refused target's %-escapes may not decode.
            String path = new QueryStringDecoder(netty.uri()).rawPath();
            Refusal refused = Refusal.decode(netty.headers().get(Refusal.HEADER));
            Refusal answer = refused != null ? refused : new Refusal(404, "Not found",
                    "no endpoint serves path '" + path + "' on this listener", "unknown-path");
            io.gatehouse.gateway.http.Problem problem = io.gatehouse.gateway.http.Problem.of(answer.status(),
                    answer.title(), answer.detail());
            ListenerRefusals.of(ctx.channel()).refused(ctx.channel(), requestId, answer.status(), answer.rule(),
                    answer.title(), answer.detail(), netty.method().name(), path);
            io.gatehouse.gateway.http.HttpAnswers.problem(exchange, problem, requestId, path, false);
            exchange.setRouteStop(true);
            return;
        }
        ProtocolAdapter adapter = pipeline.adapter();

        // The listener let through only targets whose %-escapes are valid (QueryStringDecoder would throw).
        QueryStringDecoder uri = new QueryStringDecoder(netty.uri());
        String path = uri.path();
        String query = uri.rawQuery();
        Headers headers = new Headers();
        for (Map.Entry<String, String> h : netty.headers()) {
            // No decision may read a caller-set value in the gateway's own namespace, except the client
            // inputs of the approval flow (the approval step reads and removes them).
            String lower = h.getKey().toLowerCase(Locale.ROOT);
            if (!lower.startsWith("gatehouse-") || CLIENT_HEADERS.contains(lower)) {
                headers.add(h.getKey(), h.getValue());
            }
        }
        byte[] body = ByteBufUtil.getBytes(netty.content());
        InboundRequest request = new InboundRequest(netty.method().name(), path, query, headers,
                (InetSocketAddress) ctx.channel().remoteAddress(), body);

        // The listener refused the request's framing, target or method: refuse it here, where it is recorded.
        Refusal refusal = Refusal.decode(netty.headers().get(Refusal.HEADER));
        Operation operation = null;
        String malformed = null;
        try {
            operation = refusal == null && servesPath(path) ? adapter.parse(request) : null;
        } catch (MalformedRequestException e) {
            malformed = e.getMessage();
        }
        Operation op = operation == null ? Operation.raw(adapter.name()) : operation;
        // The exchange lives on its connection's event loop: a step that waits resumes there.
        PipelineExchange px = PipelineExchange.builder(requestId, pipeline.id(), request, op)
                .trace(tracing == null ? null
                        : tracing.openHttp(requestId, pipeline.id(), request.method(), pathPrefix, path, headers, op))
                .home(ctx.channel().eventLoop())
                .startNanos(start)
                .completionListener(inFlight(pipeline, completionListener))
                .build();
        px.attributes().put(StandardAttributes.CONFIG_VERSION, pipeline.version());
        RouteExchanges.attach(exchange, px);
        RouteExchanges.attach(exchange, pipeline);
        if (refusal != null) {
            refuse(px, refusal.status(), refusal.title(), refusal.detail(), refusal.rule());
        } else if (pipeline.closing()) {
            px.refuse(EndpointPipeline.shuttingDown());
        } else if (malformed != null) {
            refuse(px, 400, "Malformed request", malformed, "malformed-body");
        } else if (operation == null) {
            refuse(px, 404, "Not found", "no endpoint serves path '" + path + "'", "unknown-path");
        }
    }

    /**
     * Counts the exchange on its pipeline until it completes (exactly once, whatever the outcome), so a
     * reload closes the processors it replaced only once nothing uses them.
     */
    public static Consumer<PipelineExchange.CompletedExchange> inFlight(EndpointPipeline pipeline,
                                                                 Consumer<PipelineExchange.CompletedExchange> then) {
        pipeline.inFlight().incrementAndGet();
        return done -> {
            pipeline.inFlight().decrementAndGet();
            if (then != null) {
                then.accept(done);
            }
        };
    }

    /**
     * camel-netty-http matches prefixes case-insensitively and without segment boundaries
     * ({@code /v1} would take {@code /V1x}); the gateway is exact: the prefix itself or below it.
     */
    private boolean servesPath(String path) {
        if ("/".equals(pathPrefix)) {
            return path.startsWith("/");
        }
        return path.equals(pathPrefix) || path.startsWith(pathPrefix + "/");
    }

    /** Refused before the steps: the endpoint's observers (recording) still see it; RefusalAnswer answers. */
    private static void refuse(PipelineExchange px, int status, String title, String detail, String rule) {
        px.refuse(Outcome.deny(status, title, detail, new DecidingRule("gateway", rule, detail)));
    }
}
