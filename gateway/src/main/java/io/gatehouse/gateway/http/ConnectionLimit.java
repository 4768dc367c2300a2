package io.gatehouse.gateway.http;

import io.gatehouse.gateway.http.Problem;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener's {@code maxConnections}: a connection over the limit is answered 503 problem+json with
 * {@code Retry-After} and closed before anything is read from it, so a client that opens connections
 * and never closes them cannot use up the process's file descriptors and memory. Logged at most once
 * every ten seconds, with the number refused since, so a flood cannot flood the log as well.
 */
final class ConnectionLimit extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimit.class);
    private static final long LOG_EVERY_NANOS = 10_000_000_000L;

    private final ListenerSettings settings;
    private final AtomicLong refusedSinceLog = new AtomicLong();
    private final AtomicLong lastLog = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);
    private boolean counted;

    ConnectionLimit(ListenerSettings settings) {
        this.settings = settings;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        counted = true;
        int open = settings.open().incrementAndGet();
        if (open > settings.maxConnections()) {
            refuse(ctx);
            return;
        }
        super.channelActive(ctx);
    }

    private void refuse(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoRead(false);
        long refused = refusedSinceLog.incrementAndGet();
        long now = System.nanoTime();
        long last = lastLog.get();
        if (now - last >= LOG_EVERY_NANOS && lastLog.compareAndSet(last, now)) {
            refusedSinceLog.addAndGet(-refused);
            LOG.warn("listener {} is at its limit of {} connections (listeners.<name>.maxConnections): refused {}"
                    + " connection(s) with 503", settings.name(), settings.maxConnections(), refused);
        }
        FullHttpResponse response = ConnectionGuard.problem(Problem.of(503, "Too many connections",
                "this gateway listener holds its maximum of " + settings.maxConnections() + " connections; retry"
                        + " later or reuse a kept-alive connection"), UUID.randomUUID().toString(), null);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE).set(HttpHeaderNames.RETRY_AFTER, 1);
        ctx.channel().writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (counted) {
            counted = false;
            settings.open().decrementAndGet();
        }
        super.channelInactive(ctx);
    }
}
