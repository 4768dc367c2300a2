package io.gatehouse.agent;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A model server on a free loopback port (Netty, HTTP/1.1 keep-alive; HTTPS with a given context)
 * that counts the connections it accepted. {@code /ok} answers a small JSON body with Content-Length;
 * {@code /close} the same, then closes the connection without saying so; {@code /close-header} the
 * same with {@code Connection: close}, closing only 2 s later; {@code /fail} a 503 with a JSON body; {@code /gzip} a gzip-encoded body as is; {@code /endless?id=ID}
 * chunked 64 KiB pieces for as long as the connection takes them (it writes only while the socket is
 * writable, so {@link #written} shows what the client actually read or buffered).
 */
public final class CountingModel implements AutoCloseable {

    public static final String OK_BODY = "{\"answer\":\"counted\"}";
    /** The first bytes of a gzip stream and some more: the agent must pass them through untouched. */
    public static final byte[] GZIP_BODY = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5};

    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final Channel server;
    private final boolean tls;
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicLong> written = new ConcurrentHashMap<>();
    private final Map<String, CountDownLatch> closed = new ConcurrentHashMap<>();

    public CountingModel(SslContext sslContext) throws InterruptedException {
        this.tls = sslContext != null;
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.incrementAndGet();
                        if (sslContext != null) {
                            ch.pipeline().addLast(sslContext.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Handler());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    public URI url() {
        return URI.create((tls ? "https" : "http") + "://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort());
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** The Authorization header of each request, in order. */
    public List<String> authorizations() {
        return List.copyOf(authorizations);
    }

    /** Bytes {@code /endless?id=ID} handed to its socket so far. */
    public long written(String id) {
        return written.computeIfAbsent(id, k -> new AtomicLong()).get();
    }

    /** Counts down when the connection of {@code /endless?id=ID} closed. */
    public CountDownLatch closed(String id) {
        return closed.computeIfAbsent(id, k -> new CountDownLatch(1));
    }

    @Override
    public void close() throws InterruptedException {
        server.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {

        private Runnable resume;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String auth = request.headers().get(HttpHeaderNames.AUTHORIZATION);
            authorizations.add(auth == null ? "" : auth);
            QueryStringDecoder query = new QueryStringDecoder(request.uri());
            switch (query.path()) {
                case "/ok" -> ctx.writeAndFlush(ok(OK_BODY.getBytes(StandardCharsets.UTF_8), "application/json"));
                case "/close" -> ctx.writeAndFlush(ok(OK_BODY.getBytes(StandardCharsets.UTF_8), "application/json"))
                        .addListener(ChannelFutureListener.CLOSE);
                case "/close-header" -> {
                    FullHttpResponse response = ok(OK_BODY.getBytes(StandardCharsets.UTF_8), "application/json");
                    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                    ctx.writeAndFlush(response);
                    // Closes late, so a client that ignored the header would still find the connection open.
                    ctx.executor().schedule(() -> ctx.close(), 2, TimeUnit.SECONDS);
                }
                case "/fail" -> {
                    FullHttpResponse response = ok("{\"error\":\"overloaded\"}".getBytes(StandardCharsets.UTF_8),
                            "application/json");
                    response.setStatus(HttpResponseStatus.SERVICE_UNAVAILABLE);
                    ctx.writeAndFlush(response);
                }
                case "/gzip" -> {
                    FullHttpResponse response = ok(GZIP_BODY, "application/json");
                    response.headers().set(HttpHeaderNames.CONTENT_ENCODING, HttpHeaderValues.GZIP);
                    ctx.writeAndFlush(response);
                }
                case "/endless" -> endless(ctx, query.parameters().getOrDefault("id", List.of("")).get(0));
                default -> ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.NOT_FOUND, Unpooled.EMPTY_BUFFER));
            }
        }

        private void endless(ChannelHandlerContext ctx, String id) {
            AtomicLong count = written.computeIfAbsent(id, k -> new AtomicLong());
            CountDownLatch gone = closed(id);
            ctx.channel().closeFuture().addListener(f -> gone.countDown());
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
                    .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            ctx.writeAndFlush(head);
            byte[] event = ("data: " + "x".repeat(64 * 1024 - 8) + "\n\n").getBytes(StandardCharsets.UTF_8);
            resume = () -> {
                while (ctx.channel().isActive() && ctx.channel().isWritable()) {
                    ByteBuf data = Unpooled.wrappedBuffer(event);
                    ctx.writeAndFlush(new DefaultHttpContent(data)).addListener(f -> {
                        if (f.isSuccess()) {
                            count.addAndGet(event.length);
                        }
                    });
                }
            };
            resume.run();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // e.g. a client that refused our certificate: expected in some tests
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (resume != null && ctx.channel().isWritable()) {
                resume.run();
            }
            ctx.fireChannelWritabilityChanged();
        }

        private static FullHttpResponse ok(byte[] body, String contentType) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(body));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            return response;
        }
    }
}
