package io.gatehouse.gateway.http;

import io.gatehouse.engine.RequestIds;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's clocks for one connection (all on its event loop):
 * <ul>
 *   <li><b>header read</b> — from a request's first byte until its head is decoded
 *       ({@code headerReadTimeout}); a slowloris head gets 408 and the connection is closed;</li>
 *   <li><b>body read</b> — from the end of the head until the last byte of the body
 *       ({@code bodyReadTimeout}); a body trickled in gets 408 and the connection is closed;</li>
 *   <li><b>idle</b> — a kept-alive connection with no request in progress and no answer owed
 *       ({@code idleTimeout}) is closed quietly; and an answer the client stops reading (the socket
 *       stays unwritable) is cut after the same time, so a client that never reads a stream cannot hold
 *       the stream, the agent call and their buffers forever.</li>
 * </ul>
 * Two handlers share it: {@link #bytes()} before the decoder (to see a head's first byte) and
 * {@link #messages()} after it (to see heads and bodies end). The guard reports exchanges.
 */
final class ClientTimeouts {

    private static final Logger LOG = LoggerFactory.getLogger(ClientTimeouts.class);

    private final ListenerSettings settings;
    private final ListenerRefusals refusals;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> headTimer;
    private ScheduledFuture<?> bodyTimer;
    private ScheduledFuture<?> idleTimer;
    private ScheduledFuture<?> stallTimer;
    private boolean readingHead;
    private boolean readingBody;
    private int exchanges;
    /** Whether any request head was read on this connection (an idle close of one never used is a refusal). */
    private boolean used;
    private String headMethod;
    private String bodyPath;
    private long lastProgress = System.nanoTime();

    ClientTimeouts(ListenerSettings settings, ListenerRefusals refusals) {
        this.settings = settings;
        this.refusals = refusals;
    }

    ChannelHandler bytes() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext c) throws Exception {
                ctx = c;
                armIdle();
                super.channelActive(c);
            }

            @Override
            public void channelRead(ChannelHandlerContext c, Object msg) {
                if (msg instanceof ByteBuf buf && buf.isReadable() && !readingHead && !readingBody) {
                    readingHead = true;
                    cancelIdle();
                    headTimer = schedule(settings.headerReadTimeout(), ClientTimeouts.this::headTimedOut);
                }
                c.fireChannelRead(msg);
            }

            @Override
            public void channelInactive(ChannelHandlerContext c) throws Exception {
                cancelAll();
                super.channelInactive(c);
            }
        };
    }

    ChannelHandler messages() {
        return new ChannelDuplexHandler() {
            /** Bytes on their way to the socket: progress is a write completing. */
            @Override
            public void write(ChannelHandlerContext c, Object msg, io.netty.channel.ChannelPromise promise) {
                if (stallTimer == null && exchanges > 0) {
                    stallTimer = schedule(settings.idleTimeout(), ClientTimeouts.this::checkStall);
                }
                c.write(msg, promise.unvoid()).addListener(f -> {
                    if (f.isSuccess()) {
                        lastProgress = System.nanoTime();
                    }
                });
            }

            @Override
            public void channelRead(ChannelHandlerContext c, Object msg) {
                if (msg instanceof HttpRequest request) {
                    used = true;
                    headMethod = request.method().name();
                    readingHead = false;
                    cancel(headTimer);
                    headTimer = null;
                    if (!(msg instanceof LastHttpContent)) {
                        readingBody = true;
                        bodyPath = new QueryStringDecoder(request.uri()).rawPath();
                        bodyTimer = schedule(settings.bodyReadTimeout(), ClientTimeouts.this::bodyTimedOut);
                    }
                }
                if (msg instanceof LastHttpContent && readingBody) {
                    readingBody = false;
                    cancel(bodyTimer);
                    bodyTimer = null;
                }
                c.fireChannelRead(msg);
            }
        };
    }

    /** The guard handed a request on. */
    void exchangeStarted() {
        exchanges++;
        cancelIdle();
    }

    /** The guard wrote a request's answer. */
    void exchangeFinished() {
        exchanges = Math.max(0, exchanges - 1);
        armIdle();
    }

    private void armIdle() {
        if (exchanges == 0 && !readingHead && !readingBody && idleTimer == null && ctx != null) {
            idleTimer = schedule(settings.idleTimeout(), () -> {
                idleTimer = null;
                if (exchanges == 0 && !readingHead && !readingBody) {
                    LOG.debug("listener {}: closing a connection idle for {}", settings.name(), settings.idleTimeout());
                    if (!used) {
                        refusals.refused(ctx.channel(), null, 0, "idle-timeout", "Idle connection closed",
                                "the connection sent no request within " + text(settings.idleTimeout())
                                        + " (listeners.<name>.idleTimeout)", null, null);
                    }
                    ctx.channel().close();
                }
            });
        }
    }

    private void headTimedOut() {
        headTimer = null;
        timedOut("header-read-timeout", "the request's headers did not arrive within "
                + text(settings.headerReadTimeout()) + " (listeners.<name>.headerReadTimeout)", null, null);
    }

    private void bodyTimedOut() {
        bodyTimer = null;
        timedOut("body-read-timeout", "the request's body did not arrive within " + text(settings.bodyReadTimeout())
                + " of its headers (listeners.<name>.bodyReadTimeout)", headMethod, bodyPath);
    }

    /** 408 when no answer is owed on the connection (else the 408 would be read as that answer), then close. */
    private void timedOut(String rule, String detail, String method, String path) {
        String requestId = RequestIds.next();
        LOG.warn("request {} on listener {}: {}; closing the connection", requestId, settings.name(), detail);
        if (exchanges > 0) {
            refusals.refused(ctx.channel(), requestId, 0, rule, "Request timeout", detail, method, path);
            ctx.channel().close();
            return;
        }
        refusals.refused(ctx.channel(), requestId, 408, rule, "Request timeout", detail, method, path);
        ctx.channel().config().setAutoRead(false);
        FullHttpResponse response = ConnectionGuard.problem(Problem.of(408, "Request timeout", detail
                + "; send the whole request without pauses"), requestId, path);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.channel().writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Every idle timeout while an answer is owed: if bytes wait to go out and none went out for that long,
     * the client stopped reading; the connection is closed (the stream ends as the client's leaving).
     */
    private void checkStall() {
        stallTimer = null;
        if (exchanges == 0 || !ctx.channel().isActive()) {
            return;
        }
        io.netty.channel.ChannelOutboundBuffer outbound = ctx.channel().unsafe().outboundBuffer();
        boolean waiting = outbound != null && outbound.totalPendingWriteBytes() > 0 || !ctx.channel().isWritable();
        if (waiting && System.nanoTime() - lastProgress >= settings.idleTimeout().toNanos()) {
            LOG.warn("listener {}: the client has not read its answer for {}; closing the connection",
                    settings.name(), settings.idleTimeout());
            ctx.channel().close();
            return;
        }
        stallTimer = schedule(settings.idleTimeout(), this::checkStall);
    }

    private ScheduledFuture<?> schedule(Duration after, Runnable task) {
        return ctx.executor().schedule(task, after.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancelIdle() {
        cancel(idleTimer);
        idleTimer = null;
    }

    /** Stops every timer of the connection: it is being closed, and nothing may answer or record it again. */
    void stop() {
        cancelAll();
    }

    private void cancelAll() {
        cancel(headTimer);
        cancel(bodyTimer);
        cancel(idleTimer);
        cancel(stallTimer);
        headTimer = bodyTimer = idleTimer = stallTimer = null;
    }

    private static void cancel(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    private static String text(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
