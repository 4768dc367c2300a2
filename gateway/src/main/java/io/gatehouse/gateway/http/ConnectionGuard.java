package io.gatehouse.gateway.http;

import io.gatehouse.engine.RequestIds;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per connection, between Netty's aggregator and Camel: one request at a time, and every request
 * answered by the gateway, never by Netty's or Camel's empty defaults.
 *
 * <ul>
 *   <li><b>One at a time.</b> Pipelined requests wait here until the answer before them is written, so
 *       answers leave in request order (Camel would run them concurrently) and a request that closes the
 *       connection ({@code Connection: close}, HTTP/1.0 without keep-alive, a refused framing) is the last
 *       one run: whatever was pipelined after it is dropped unread.</li>
 *   <li><b>Refusals are answered and recorded.</b> A head that Netty failed to decode, or that breaks
 *       {@link RequestChecks}, gets a {@link Refusal} header and no body and goes to the endpoint whose path
 *       it names, whose route answers problem+json and records it ({@code ExchangeOpener}); a request no
 *       endpoint serves (a CONNECT, a target Netty could not read) is answered here, logged and recorded
 *       by the listener ({@link ListenerRefusals}).</li>
 *   <li><b>Targets.</b> An absolute-form target is turned into origin-form with its authority as Host
 *       (RFC 9112 §3.2.2); a target with a character that must be escaped is escaped for routing and
 *       refused.</li>
 *   <li><b>HTTP/1.0.</b> A streamed answer to an HTTP/1.0 client is sent without chunked coding and ends
 *       with the connection, as HTTP/1.0 frames it.</li>
 * </ul>
 */
final class ConnectionGuard extends ChannelDuplexHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

    private final ListenerSettings settings;
    private final ClientTimeouts timeouts;
    private final ListenerRefusals refusals;
    private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
    private boolean inFlight;
    private boolean closeAfter;
    private boolean closing;
    private boolean http10;

    ConnectionGuard(ListenerSettings settings, ClientTimeouts timeouts, ListenerRefusals refusals) {
        this.settings = settings;
        this.refusals = refusals;
        this.timeouts = timeouts;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (closing) {
            request.release(); // pipelined after a request that closes the connection: never run
            return;
        }
        if (inFlight) {
            waiting.add(request);
            ctx.channel().config().setAutoRead(false);
            return;
        }
        dispatch(ctx, request);
    }

    private void dispatch(ChannelHandlerContext ctx, FullHttpRequest request) {
        inFlight = true;
        timeouts.exchangeStarted();
        http10 = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
        closeAfter = !HttpUtil.isKeepAlive(request);
        Refusal refusal = Refusal.decode(request.headers().get(Refusal.HEADER));
        boolean undecodable = false;
        if (request.decoderResult().isFailure()) {
            undecodable = "/bad-request".equals(request.uri()) && !request.headers().contains(HttpHeaderNames.HOST);
            refusal = decodingFailure(request.decoderResult().cause(), undecodable);
        }
        if (refusal == null) {
            refusal = toOriginForm(request);
        }
        if (refusal == null) {
            refusal = RequestChecks.target(request.method(), request.uri());
        }
        if (refusal != null && !request.uri().startsWith("/")) {
            request.setUri("/");
        } else if (refusal != null) {
            request.setUri(RequestChecks.sanitise(request.uri()));
        }
        if (closeAfter || refusal != null) {
            stopReading(ctx);
        }
        if (refusal == null) {
            ctx.fireChannelRead(request);
            return;
        }
        String path = new QueryStringDecoder(request.uri()).rawPath();
        // Camel answers a method outside its list itself, emptily: such a request is answered here.
        if (undecodable || !settings.servesEndpoint(path) || !RequestChecks.METHODS.contains(request.method().name())) {
            answer(ctx, request, refusal, path);
            return;
        }
        // The endpoint's route answers and records it; it gets the head only.
        FullHttpRequest head = request.replace(Unpooled.EMPTY_BUFFER);
        request.release();
        head.setDecoderResult(DecoderResult.SUCCESS);
        head.headers().set(Refusal.HEADER, refusal.encode());
        head.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        head.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
        head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (!head.headers().contains(HttpHeaderNames.HOST)) {
            head.headers().set(HttpHeaderNames.HOST, "unknown"); // Camel refuses a head without one, emptily
        }
        ctx.fireChannelRead(head);
    }

    /** No further request is read or run on this connection; it closes after the current answer. */
    private void stopReading(ChannelHandlerContext ctx) {
        closeAfter = true;
        closing = true;
        ctx.channel().config().setAutoRead(false);
        drop();
    }

    private static Refusal decodingFailure(Throwable cause, boolean inHead) {
        if (cause instanceof TooLongHttpLineException && !inHead) {
            return Refusal.badFraming("a chunk-size line is over " + GatewayRequestDecoder.MAX_INITIAL_LINE + " bytes");
        }
        if (cause instanceof TooLongHttpLineException) {
            return new Refusal(414, "Request line too long", "the request line is over " + GatewayRequestDecoder
                    .MAX_INITIAL_LINE + " bytes; send a shorter target", "request-line-too-long");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return new Refusal(431, "Request headers too large", "the request headers are over this listener's"
                    + " cap (listeners.<name>.maxHeaderBytes); send fewer or smaller headers", "headers-too-large");
        }
        if (cause instanceof TooLongFrameException) {
            return Refusal.badFraming("a chunk-size line is too long");
        }
        String message = cause == null || cause.getMessage() == null ? "malformed" : cause.getMessage();
        return Refusal.badFraming("the request could not be parsed as HTTP/1.1: " + RequestChecks.quote(message));
    }

    /** Absolute-form ({@code http://host/path}) to origin-form, its authority as Host; anything else left as is. */
    private static Refusal toOriginForm(FullHttpRequest request) {
        String uri = request.uri();
        String lower = uri.length() > 8 ? uri.substring(0, 8).toLowerCase(java.util.Locale.ROOT) : "";
        if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
            return null;
        }
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (java.net.URISyntaxException e) {
            return Refusal.badTarget("the absolute-form target is not a valid URI: " + RequestChecks.quote(uri));
        }
        if (parsed.getRawAuthority() == null || parsed.getRawUserInfo() != null) {
            return Refusal.badTarget("the absolute-form target needs a host and no user info: "
                    + RequestChecks.quote(uri));
        }
        String path = parsed.getRawPath() == null || parsed.getRawPath().isEmpty() ? "/" : parsed.getRawPath();
        request.setUri(parsed.getRawQuery() == null ? path : path + "?" + parsed.getRawQuery());
        request.headers().set(HttpHeaderNames.HOST, parsed.getRawAuthority());
        return null;
    }

    /** Answers a refusal no endpoint can take, here, and closes. */
    private void answer(ChannelHandlerContext ctx, FullHttpRequest request, Refusal refusal, String path) {
        String requestId = RequestIds.next();
        LOG.warn("request {} refused by listener {} before any endpoint: {} {} ({} {})", requestId,
                settings.name(), refusal.status(), refusal.detail(), request.method(), RequestChecks.quote(path));
        refusals.refused(ctx.channel(), requestId, refusal.status(), refusal.rule(), refusal.title(), refusal.detail(),
                request.method().name(), path);
        request.release();
        FullHttpResponse response = problem(refusal.problem(), requestId, path);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    static FullHttpResponse problem(Problem problem, String requestId, String path) {
        byte[] body = problem.toJson(requestId, path, false);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(problem.status()), Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, Problem.CONTENT_TYPE)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpAnswers.REQUEST_ID_HEADER, requestId);
        return response;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response && inFlight) {
            if (closeAfter) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            if (http10 && !(msg instanceof FullHttpResponse) && HttpUtil.isTransferEncodingChunked(response)) {
                // HTTP/1.0 has no chunked coding: the body ends where the connection does.
                HttpUtil.setTransferEncodingChunked(response, false);
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                closeAfter = true;
                closing = true;
            }
        }
        boolean last = msg instanceof FullHttpResponse || msg instanceof LastHttpContent;
        if (last && inFlight) {
            ctx.write(msg, promise.unvoid()).addListener(f -> answered(ctx));
            return;
        }
        ctx.write(msg, promise);
    }

    /** The current answer is written: close, or run the next waiting request, or read again. */
    private void answered(ChannelHandlerContext ctx) {
        if (!inFlight) {
            return;
        }
        inFlight = false;
        timeouts.exchangeFinished();
        if (closeAfter) {
            drop();
            ctx.channel().close();
            return;
        }
        FullHttpRequest next = waiting.poll();
        if (next != null) {
            dispatch(ctx, next);
            return;
        }
        ctx.channel().config().setAutoRead(true);
        ctx.read();
    }

    private void drop() {
        FullHttpRequest r;
        while ((r = waiting.poll()) != null) {
            ReferenceCountUtil.release(r);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        drop();
        super.channelInactive(ctx);
    }
}
