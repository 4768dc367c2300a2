package io.gatehouse.agent;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * The keep-alive HTTP/1.1 connections of one service on one event loop. Everything here runs on that
 * loop, so nothing is locked: a call takes the most recently released connection that is still open,
 * or opens a new one; a connection goes back only after a complete exchange that left it reusable.
 * Idle connections keep a read pending, so one the server closes leaves the pool at once.
 */
final class UpstreamPool {

    /** Largest response chunk handed on as one Chunk; bigger bodies arrive in several. */
    static final int MAX_CHUNK = 1 << 20;
    /** Idle connections kept per service and event loop; more are closed. */
    static final int MAX_IDLE = 64;
    private static final HttpDecoderConfig DECODER = new HttpDecoderConfig()
            .setMaxInitialLineLength(8 * 1024)
            .setMaxHeaderSize(64 * 1024)
            .setMaxChunkSize(MAX_CHUNK);

    private final EventLoop loop;
    private final ExecutorService resolver;
    private final Bootstrap bootstrap;
    private final String host;
    private final int port;
    /** The address when the URL names an IP; else looked up (off the loop) for every new connection. */
    private final InetSocketAddress literal;
    private final ArrayDeque<UpstreamConnection> idle = new ArrayDeque<>();

    UpstreamPool(Upstream upstream, EventLoop loop, EventLoops loops) {
        this.loop = loop;
        this.resolver = loops.blocking();
        ServiceConfig config = upstream.config();
        String h = config.url().getHost();
        this.host = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
        this.port = config.port();
        byte[] ip = NetUtil.createByteArrayFromIpAddressString(host);
        InetSocketAddress address = null;
        if (ip != null) {
            try {
                address = new InetSocketAddress(InetAddress.getByAddress(host, ip), port);
            } catch (UnknownHostException impossible) {
                // getByAddress only fails for a wrong length, which an IP literal never has.
            }
        }
        this.literal = address;
        int connectMillis = (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis());
        this.bootstrap = new Bootstrap().group(loop).channel(loops.socketChannelType())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectMillis)
                .resolver(NoopAddressResolverGroup.INSTANCE)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ChannelPipeline pipeline = ch.pipeline();
                        if (upstream.sslContext() != null) {
                            SslHandler ssl = upstream.sslContext().newHandler(ch.alloc(), host, port);
                            ssl.setHandshakeTimeoutMillis(connectMillis);
                            pipeline.addLast(ssl);
                        }
                        pipeline.addLast(new HttpClientCodec(DECODER, false, false));
                        pipeline.addLast(new UpstreamConnection(UpstreamPool.this));
                    }
                });
    }

    EventLoop loop() {
        return loop;
    }

    /** The most recently released idle connection that is still usable, or null. */
    UpstreamConnection poll() {
        long now = System.nanoTime();
        UpstreamConnection c;
        while ((c = idle.pollLast()) != null) {
            if (c.usable(now)) {
                return c;
            }
            c.channel().close();
        }
        return null;
    }

    /** Takes back a connection whose exchange ended cleanly; closes it when it cannot serve another. */
    void release(UpstreamConnection c) {
        if (!c.channel().isActive() || !c.keptAlive() || idle.size() >= MAX_IDLE) {
            c.channel().close();
            return;
        }
        c.parked();
        idle.addLast(c);
    }

    /** A closed or misbehaving idle connection leaves the pool. */
    void remove(UpstreamConnection c) {
        idle.remove(c);
    }

    /** Opens a new connection; the future completes on the loop once it can carry a request (TLS included). */
    Future<UpstreamConnection> connect() {
        Promise<UpstreamConnection> promise = loop.newPromise();
        if (literal != null) {
            connect(literal, promise);
            return promise;
        }
        try {
            resolver.execute(() -> {
                try {
                    InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(host), port);
                    loop.execute(() -> connect(address, promise));
                } catch (UnknownHostException | RuntimeException e) {
                    promise.tryFailure(e);
                }
            });
        } catch (RejectedExecutionException stopping) {
            promise.tryFailure(stopping);
        }
        return promise;
    }

    private void connect(InetSocketAddress address, Promise<UpstreamConnection> promise) {
        ChannelFuture connected = bootstrap.connect(address);
        connected.addListener(f -> {
            if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
                return;
            }
            Channel ch = connected.channel();
            UpstreamConnection connection = ch.pipeline().get(UpstreamConnection.class);
            SslHandler ssl = ch.pipeline().get(SslHandler.class);
            if (ssl == null) {
                promise.trySuccess(connection);
                return;
            }
            ssl.handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    promise.trySuccess(connection);
                } else {
                    ch.close();
                    promise.tryFailure(h.cause());
                }
            });
            ch.read(); // the handshake needs the server's answer; reads are off by default
        });
    }

    /** Closes the idle connections (the agent is stopping). */
    void close() {
        UpstreamConnection c;
        while ((c = idle.pollLast()) != null) {
            c.channel().close();
        }
    }
}
