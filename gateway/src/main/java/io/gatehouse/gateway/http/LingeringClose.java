package io.gatehouse.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection whose request body is still arriving without destroying the answer written before it.
 *
 * <p>Closing a socket with unread bytes in its receive buffer makes the kernel send a reset, and a client
 * still sending its body then often loses the answer (a 413 problem saying what to do) before it reads it:
 * "connection reset" instead of a reason. So, as nginx's lingering close and Apache's do: once the answer is
 * written, the gateway shuts its side for writing (the client sees the answer and end of stream), reads and
 * throws away what still comes, and closes when the client does, after the listener's
 * {@code bodyReadTimeout}, or once twice its {@code maxBodyBytes} have been thrown away (a body announced over
 * the cap is refused before any of it is read), whichever is first.
 * The listener's own timers are stopped first, so nothing else answers or records that connection again.
 */
final class LingeringClose implements ChannelFutureListener {

    private final ClientTimeouts timeouts;
    private final Duration linger;
    private final long maxDiscardedBytes;

    LingeringClose(ClientTimeouts timeouts, Duration linger, long maxDiscardedBytes) {
        this.timeouts = timeouts;
        this.linger = linger;
        this.maxDiscardedBytes = maxDiscardedBytes;
    }

    @Override
    public void operationComplete(ChannelFuture written) {
        Channel channel = written.channel();
        if (!written.isSuccess() || !(channel instanceof DuplexChannel duplex) || !channel.isActive()) {
            channel.close();
            return;
        }
        timeouts.stop();
        channel.pipeline().addFirst("lingering-close", new Discard(maxDiscardedBytes));
        channel.config().setAutoRead(true);
        duplex.shutdownOutput().addListener(shut -> {
            if (!shut.isSuccess()) {
                channel.close();
            }
        });
        channel.eventLoop().schedule(() -> {
            channel.close();
        }, linger.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Releases everything read; closes at the end of the client's stream or past the byte cap. */
    private static final class Discard extends ChannelInboundHandlerAdapter {

        private final long max;
        private long discarded;

        Discard(long max) {
            this.max = max;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf) {
                discarded += buf.readableBytes();
            } else if (msg instanceof ByteBufHolder holder) {
                discarded += holder.content().readableBytes();
            }
            ReferenceCountUtil.release(msg);
            if (discarded > max) {
                ctx.close();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent) {
                ctx.close();
            } else {
                ReferenceCountUtil.release(event);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
