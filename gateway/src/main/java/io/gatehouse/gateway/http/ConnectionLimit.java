package io.gatehouse.gateway.http;

import io.gatehouse.engine.RequestIds;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener's {@code maxConnections}: a connection over the limit is answered 503 problem+json with
 * {@code Retry-After} and closed before anything is read from it, so a client that opens connections
 * and never closes them cannot use up the process's file descriptors and memory. Logged at most once
 * every ten seconds, with the number refused since, so a flood cannot flood the log as well; recorded as
 * {@link ListenerRefusals} records them (a bounded number one by one, the rest in summaries).
 */
final class ConnectionLimit extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimit.class);
    private static final long LOG_EVERY_NANOS = 10_000_000_000L;

    private final ListenerSettings settings;
    private final ListenerRefusals refusals;
    private final AtomicLong refusedSinceLog = new AtomicLong();
    private final AtomicLong lastLog = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);
    private boolean counted;

    ConnectionLimit(ListenerSettings settings, ListenerRefusals refusals) {
        this.settings = settings;
        this.refusals = refusals;
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
        // Written as bytes from the front of the pipeline: nothing behind this handler has seen the connection.
        String requestId = RequestIds.next();
        String detail = "this gateway listener holds its maximum of " + settings.maxConnections()
                + " connections; retry later or reuse a kept-alive connection";
        refusals.refused(ctx.channel(), requestId, 503, "too-many-connections", "Too many connections", detail,
                null, null);
        byte[] body = Problem.of(503, "Too many connections", detail).toJson(requestId, null, false);
        String head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: " + Problem.CONTENT_TYPE
                + "\r\nContent-Length: " + body.length + "\r\n" + HttpAnswers.REQUEST_ID_HEADER + ": " + requestId
                + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n";
        ByteBuf bytes = ctx.alloc().buffer(head.length() + body.length);
        bytes.writeCharSequence(head, StandardCharsets.US_ASCII);
        bytes.writeBytes(body);
        ctx.writeAndFlush(bytes).addListener(f -> {
            if (!f.isSuccess()) {
                LOG.warn("listener {}: the 503 could not be written", settings.name(), f.cause());
            }
            ctx.channel().close();
        });
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
