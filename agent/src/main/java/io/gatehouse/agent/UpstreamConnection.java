package io.gatehouse.agent;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/1.1 connection to a model server, the last handler of its pipeline: it hands what the
 * connection reads to the call that uses it, or, while the connection is idle in its pool, closes it
 * when anything but a close arrives (a server may not answer what nobody asked). Runs on the
 * connection's event loop only.
 */
final class UpstreamConnection extends ChannelInboundHandlerAdapter {

    /** How long an idle connection is reused when the server announces no keep-alive timeout. */
    static final long DEFAULT_IDLE_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final UpstreamPool pool;
    private Channel channel;
    private ForwardCall call;
    /** It carried a complete exchange before the current one. */
    private boolean reused;
    /** Something of the current exchange's response arrived. */
    private boolean received;
    /** The last response allowed another exchange (a fresh connection may carry one). */
    private boolean keptAlive = true;
    private long idleNanos = DEFAULT_IDLE_NANOS;
    private long expiresAt;

    UpstreamConnection(UpstreamPool pool) {
        this.pool = pool;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    Channel channel() {
        return channel;
    }

    void attach(ForwardCall user) {
        call = user;
        received = false;
        keptAlive = false;
    }

    void detach() {
        call = null;
    }

    boolean reused() {
        return reused;
    }

    boolean received() {
        return received;
    }

    boolean keptAlive() {
        return keptAlive;
    }

    /**
     * What the response head says about reuse: HTTP/1.1 without {@code Connection: close}, and a
     * {@code Keep-Alive: timeout=N} hint (the connection is then reused for at most N - 1 s).
     */
    void keepAlive(boolean keep, String keepAliveHeader) {
        keptAlive = keep;
        if (keep && keepAliveHeader != null) {
            for (String part : keepAliveHeader.split(",")) {
                String p = part.trim().toLowerCase(Locale.ROOT);
                if (p.startsWith("timeout=")) {
                    try {
                        long seconds = Long.parseLong(p.substring("timeout=".length()).trim());
                        idleNanos = Math.min(DEFAULT_IDLE_NANOS, TimeUnit.SECONDS.toNanos(seconds - 1));
                        keptAlive = seconds > 1;
                    } catch (NumberFormatException ignored) {
                        // A hint only: the default stands.
                    }
                }
            }
        }
    }

    /** Back in the pool: watch for the server closing it. */
    void parked() {
        call = null;
        reused = true;
        expiresAt = System.nanoTime() + idleNanos;
        channel.read();
    }

    boolean usable(long now) {
        return channel.isActive() && now - expiresAt < 0;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ForwardCall user = call;
        if (user == null) {
            ReferenceCountUtil.release(msg);
            pool.remove(this);
            ctx.close();
            return;
        }
        received = true;
        user.onResponse(this, msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ForwardCall user = call;
        if (user != null) {
            user.onReadComplete(this);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ForwardCall user = call;
        call = null;
        if (user != null) {
            user.onBroken(this, null);
        } else {
            pool.remove(this);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ForwardCall user = call;
        call = null;
        if (user != null) {
            user.onBroken(this, cause);
        } else {
            pool.remove(this);
        }
        ctx.close();
    }
}
