package io.gatehouse.agent;

import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.Header;
import io.grpc.stub.StreamObserver;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test: measures the agent process's CPU time per forwarded request. The agent runs in a child
 * JVM (so only its own CPU is counted, read from {@code /proc/<pid>/stat}); this JVM runs a loopback
 * upstream answering a 2 KB JSON body with Content-Length, and {@code callers} concurrent Forward calls
 * through the real mutual-TLS gRPC hop.
 *
 * <pre>
 * java -cp CLASSPATH io.gatehouse.agent.ForwardCpuBench [callers=16] [warmupSeconds=15] [seconds=15]
 * </pre>
 *
 * <p>{@code AGENT_JAVA_OPTS} passes JVM options to the agent ({@code -Dbench.accessLog=false} turns its
 * access log off). CLASSPATH: {@code agent/target/classes}, {@code agent/target/test-classes} and
 * {@code mvn -pl agent dependency:build-classpath -Dmdep.includeScope=test}.
 */
public final class ForwardCpuBench {

    private static final byte[] BODY = ("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[{\"message\":"
            + "{\"role\":\"assistant\",\"content\":\"" + "x".repeat(1900) + "\"}}]}").getBytes(StandardCharsets.UTF_8);

    private ForwardCpuBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("agent")) {
            runAgent(Path.of(args[1]), URI.create(args[2]));
            return;
        }
        int callers = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        EventLoopGroup group = new NioEventLoopGroup(1);
        Path data = Files.createTempDirectory("gatehouse-cpu-bench");
        Process agent = null;
        try {
            Channel upstream = upstream(group);
            int upstreamPort = ((java.net.InetSocketAddress) upstream.localAddress()).getPort();
            DevCertificates.ensure(data);
            Path portFile = data.resolve("port");
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            String opts = System.getenv("AGENT_JAVA_OPTS");
            if (opts != null && !opts.isBlank()) {
                command.addAll(List.of(opts.trim().split("\\s+")));
            }
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), ForwardCpuBench.class.getName(), "agent",
                    data.toString(), "http://127.0.0.1:" + upstreamPort));
            agent = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(data.resolve("agent.log").toFile()).start();
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(portFile) || Files.readString(portFile).isBlank()) {
                if (System.nanoTime() > giveUp || !agent.isAlive()) {
                    throw new IllegalStateException("the agent did not start: " + Files.readString(data.resolve("agent.log")));
                }
                Thread.sleep(50);
            }
            int agentPort = Integer.parseInt(Files.readString(portFile).trim());
            System.out.println("agent pid=" + agent.pid() + " (warm-up " + warmup + " s, then " + seconds + " s measured)");
            try (AgentClient client = AgentClient.connect("127.0.0.1", agentPort, ClientTls.dev(data))) {
                Load load = new Load(client, callers);
                load.start();
                Thread.sleep(TimeUnit.SECONDS.toMillis(warmup));
                long calls0 = load.completed.get();
                long cpu0 = cpuNanos(agent.pid());
                long t0 = System.nanoTime();
                Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
                long calls = load.completed.get() - calls0;
                long cpu = cpuNanos(agent.pid()) - cpu0;
                long elapsed = System.nanoTime() - t0;
                load.stop();
                System.out.printf("callers=%d requests=%d req/s=%.0f agent_cpu_us_per_request=%.1f failures=%d%n",
                        callers, calls, calls * 1e9 / elapsed, cpu / 1e3 / Math.max(1, calls), load.failed.get());
            }
            upstream.close().sync();
        } finally {
            if (agent != null) {
                agent.destroy();
                agent.waitFor(10, TimeUnit.SECONDS);
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            AgentFixture.deleteRecursively(data);
        }
    }

    private static void runAgent(Path data, URI upstream) throws Exception {
        Map<String, ServiceConfig> services = Map.of("model", new ServiceConfig(upstream,
                new CredentialConfig(null, null, io.gatehouse.spi.Secret.of("env:KEY", "sk-bench")), null,
                Duration.ofSeconds(30)));
        AgentSettings settings = Boolean.parseBoolean(System.getProperty("bench.accessLog", "true"))
                ? new AgentSettings(new ListenConfig("127.0.0.1", 0), null, data, services)
                : new AgentSettings(new ListenConfig("127.0.0.1", 0), null, data, services, new AccessLogConfig(false));
        AgentServer server = AgentServer.start(settings);
        Path tmp = data.resolve("port.tmp");
        Files.writeString(tmp, Integer.toString(server.port()));
        Files.move(tmp, data.resolve("port"));
        Thread.sleep(Long.MAX_VALUE);
    }

    /** utime + stime of the process, from /proc (clock ticks of 10 ms). */
    private static long cpuNanos(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        return ticks * 10_000_000L;
    }

    private static Channel upstream(EventLoopGroup group) throws InterruptedException {
        return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                                        ByteBuf body = Unpooled.wrappedBuffer(BODY);
                                        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                                HttpResponseStatus.OK, body);
                                        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                                                .setInt(HttpHeaderNames.CONTENT_LENGTH, BODY.length);
                                        ctx.writeAndFlush(response);
                                    }
                                });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    /** {@code callers} Forward calls in flight, each followed by the next as soon as it ends. */
    private static final class Load {
        final AgentClient client;
        final int callers;
        final AtomicLong completed = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicBoolean running = new AtomicBoolean(true);

        Load(AgentClient client, int callers) {
            this.client = client;
            this.callers = callers;
        }

        void start() {
            for (int i = 0; i < callers; i++) {
                next();
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            Thread.sleep(500);
        }

        void next() {
            if (!running.get()) {
                return;
            }
            ForwardRequest request = ForwardRequest.newBuilder().setRequestId("bench").setService("model")
                    .setMethod("POST").setPath("/v1/chat/completions")
                    .addHeaders(Header.newBuilder().setName("Content-Type").setValue("application/json"))
                    .setBody(com.google.protobuf.ByteString.copyFromUtf8("{\"model\":\"m\",\"messages\":[]}"))
                    .build();
            client.stub().forward(request, new StreamObserver<>() {
                boolean ok;

                @Override
                public void onNext(ForwardResponse value) {
                    ok |= value.hasEnd();
                }

                @Override
                public void onError(Throwable t) {
                    failed.incrementAndGet();
                    next();
                }

                @Override
                public void onCompleted() {
                    (ok ? completed : failed).incrementAndGet();
                    next();
                }
            });
        }
    }
}
