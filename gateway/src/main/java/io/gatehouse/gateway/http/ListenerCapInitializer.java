package io.gatehouse.gateway.http;

import io.gatehouse.engine.RequestIds;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.apache.camel.component.netty.NettyConsumer;
import org.apache.camel.component.netty.ServerInitializerFactory;
import org.apache.camel.component.netty.http.HttpServerInitializerFactory;
import org.apache.camel.component.netty.http.NettyHttpConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * camel-netty-http's channel set-up, with one change: a body over the listener's hard cap
 * ({@code listeners.<name>.maxBodyBytes}) is refused with a 413 {@code application/problem+json}
 * that says what to do, instead of Netty's empty 413. The body is never read whole: the aggregator
 * refuses as soon as the announced or received size passes the cap, then closes the connection.
 * No endpoint has seen such a request: the listener records it ({@link ListenerRefusals}). {@link GatewayNettyHttpComponent}
 * puts it in place (camel-netty-http builds its own initializer for each port and ignores the
 * {@code serverInitializerFactory} option).
 */
public final class ListenerCapInitializer extends HttpServerInitializerFactory {

    private static final Logger LOG = LoggerFactory.getLogger(ListenerCapInitializer.class);

    private final int maxBodyBytes;
    private final int maxHeaderBytes;
    private final ListenerSettings settings;
    private final ListenerRefusals refusals;

    ListenerCapInitializer(NettyHttpConsumer consumer, ListenerSettings settings, ListenerRefusals refusals) {
        super(consumer);
        this.refusals = refusals;
        this.maxBodyBytes = consumer.getConfiguration().getChunkedMaxContentLength();
        this.maxHeaderBytes = consumer.getConfiguration().getMaxHeaderSize();
        this.settings = settings;
    }

    @Override
    public ServerInitializerFactory createPipelineFactory(NettyConsumer consumer) {
        return new ListenerCapInitializer((NettyHttpConsumer) consumer, settings, refusals);
    }

    /**
     * Camel's pipeline ({@code decoder, encoder, aggregator, outbound-streamer, handler}) with the gateway's
     * pieces put in:
     * <pre>
     * limit → timeouts-bytes → decoder (strict) → timeouts-messages → encoder (HEAD-aware) → aggregator (problem 413)
     *   → guard (one request at a time, refusals) → outbound-streamer → handler (Camel)
     * </pre>
     * The guard sits below the outbound streamer so that it sees a streamed answer's last chunk.
     */
    @Override
    protected void initChannel(Channel ch) throws Exception {
        super.initChannel(ch);
        ChannelPipeline pipeline = ch.pipeline();
        refusals.attach(ch);
        RequestMethods methods = new RequestMethods();
        ClientTimeouts timeouts = new ClientTimeouts(settings, refusals);
        pipeline.replace("decoder", "decoder", new GatewayRequestDecoder(maxHeaderBytes, methods));
        pipeline.replace("encoder", "encoder", new HeadAwareResponseEncoder(methods));
        pipeline.addFirst("timeouts-bytes", timeouts.bytes());
        pipeline.addFirst("limit", new ConnectionLimit(settings, refusals));
        pipeline.addAfter("decoder", "timeouts-messages", timeouts.messages());
        pipeline.replace("aggregator", "aggregator", new ProblemAggregator(maxBodyBytes, refusals,
                new LingeringClose(timeouts, settings.bodyReadTimeout(), 2L * maxBodyBytes)));
        pipeline.addAfter("aggregator", "guard", new ConnectionGuard(settings, timeouts, refusals));
    }

    /** Netty's aggregator, answering an oversized request with a problem. */
    private static final class ProblemAggregator extends HttpObjectAggregator {

        private final int max;
        private final ListenerRefusals refusals;
        private final LingeringClose close;

        ProblemAggregator(int max, ListenerRefusals refusals, LingeringClose close) {
            super(max);
            this.max = max;
            this.refusals = refusals;
            this.close = close;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
            if (!(oversized instanceof HttpRequest request)) {
                super.handleOversizedMessage(ctx, oversized);
                return;
            }
            // The rest of the body may still be on its way: closing now would reset the connection and lose
            // the answer, so the connection lingers (LingeringClose).
            ctx.writeAndFlush(tooLarge(ctx.channel(), request)).addListener(close);
        }

        /** A client that sent {@code Expect: 100-continue} with a size over the cap gets the same problem. */
        /** The connection of a refused expectation is closed: its body may still be on its way. */
        @Override
        protected boolean closeAfterContinueResponse(Object response) {
            return response instanceof FullHttpResponse r && r.status().code() >= 400
                    || super.closeAfterContinueResponse(response);
        }

        @Override
        protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
            Object answer = super.newContinueResponse(start, maxContentLength, pipeline);
            if (answer instanceof FullHttpResponse response && start instanceof HttpRequest request
                    && response.status().code() == HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE.code()) {
                response.release();
                return tooLarge(pipeline.channel(), request);
            }
            if (answer instanceof FullHttpResponse response && start instanceof HttpRequest request
                    && response.status().code() == HttpResponseStatus.EXPECTATION_FAILED.code()) {
                response.release();
                String requestId = RequestIds.next();
                String path = new QueryStringDecoder(request.uri()).rawPath();
                LOG.warn("request {} refused before any endpoint: unsupported Expect '{}' ({} {})", requestId,
                        request.headers().get(HttpHeaderNames.EXPECT), request.method(), path);
                String detail = "the only Expect value served is 100-continue";
                refusals.refused(pipeline.channel(), requestId, 417, "expectation-failed", "Expectation failed",
                        detail, request.method().name(), path);
                FullHttpResponse failed = ConnectionGuard.problem(Problem.of(417, "Expectation failed", detail),
                        requestId, path);
                failed.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                return failed;
            }
            return answer;
        }

        private FullHttpResponse tooLarge(Channel channel, HttpRequest request) {
            String requestId = RequestIds.next();
            String path = new QueryStringDecoder(request.uri()).rawPath();
            LOG.warn("request {} refused before any endpoint: its body is over the listener's cap of {} bytes ({} {})",
                    requestId, max, request.method(), path);
            String detail = "the request body is over this gateway listener's cap of " + max
                    + " bytes (listeners.<name>.maxBodyBytes); send a smaller body";
            refusals.refused(channel, requestId, 413, "body-too-large", "Request body too large", detail,
                    request.method().name(), path);
            Problem problem = Problem.of(413, "Request body too large", detail);
            byte[] body = problem.toJson(requestId, path, false);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Unpooled.wrappedBuffer(body));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, Problem.CONTENT_TYPE)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                    .set(HttpAnswers.REQUEST_ID_HEADER, requestId)
                    // The rest of the body may still be on its way: this connection cannot carry another request.
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            return response;
        }
    }
}
