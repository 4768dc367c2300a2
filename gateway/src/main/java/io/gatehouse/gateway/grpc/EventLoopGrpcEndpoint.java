package io.gatehouse.gateway.grpc;

import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.component.grpc.GrpcComponent;
import org.apache.camel.component.grpc.GrpcConfiguration;
import org.apache.camel.component.grpc.GrpcConsumer;
import org.apache.camel.component.grpc.GrpcEndpoint;
import org.apache.camel.component.grpc.server.DefaultBindableServiceFactory;
import org.apache.camel.component.grpc.server.GrpcHeaderInterceptor;

/**
 * A camel-grpc endpoint whose server runs each call on its connection's event loop, as the HTTP listeners
 * do, instead of handing every step of every call to gRPC's shared thread pool. camel-grpc builds its
 * server with gRPC's default executor: each call crossed threads five times (opened, message, half-close,
 * ready, closed) before the route ran, and a third of the CPU of {@code bench/run-grpc.sh} went to those
 * hand-offs (async-profiler: {@code SynchronousQueue} park and unpark). The loops are the agent
 * component's caller loops, so the route, the agent call over that loop's own connection and the answer
 * run on one thread.
 *
 * <p>The server is configured from the endpoint's {@link GrpcConfiguration} as camel-grpc configures its
 * own (plaintext only: the gateway's gRPC listeners have no TLS of their own), with the direct executor
 * and the given loops. Everything else (the delegation to the route, the route-controlled observer) is
 * camel-grpc's.
 */
final class EventLoopGrpcEndpoint extends GrpcEndpoint {

    private final EventLoopGroup loops;

    EventLoopGrpcEndpoint(String uri, GrpcComponent component, GrpcConfiguration configuration, EventLoopGroup loops) {
        super(uri, component, configuration);
        this.loops = Objects.requireNonNull(loops, "loops");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        GrpcConsumer consumer = new EventLoopConsumer(this, processor, getConfiguration(), loops);
        configureConsumer(consumer);
        return consumer;
    }

    /** camel-grpc's consumer with a server of this endpoint's making. */
    static final class EventLoopConsumer extends GrpcConsumer {

        private final EventLoopGroup loops;

        EventLoopConsumer(GrpcEndpoint endpoint, Processor processor, GrpcConfiguration configuration,
                          EventLoopGroup loops) {
            super(endpoint, processor, configuration);
            this.loops = loops;
        }

        @Override
        protected void initializeServer() throws Exception {
            GrpcConfiguration c = configuration;
            if (c.getHost() == null || c.getHost().isEmpty()) {
                throw new IllegalArgumentException("a gRPC listener needs a host to bind");
            }
            NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(c.getHost(), c.getPort()))
                    .bossEventLoopGroup(loops)
                    .workerEventLoopGroup(loops)
                    .channelType(loops instanceof EpollEventLoopGroup ? EpollServerSocketChannel.class
                            : NioServerSocketChannel.class)
                    // Calls run where their bytes arrive: the route never blocks (the SPI's rule), and what
                    // waits resumes on the exchange's home, which is this loop (GrpcCallOpener).
                    .directExecutor();
            if (c.getMaxRstFramesPerWindow() > 0 && c.getMaxRstPeriodSeconds() > 0) {
                builder.maxRstFramesPerWindow(c.getMaxRstFramesPerWindow(), c.getMaxRstPeriodSeconds());
            }
            for (ServerInterceptor interceptor : c.getServerInterceptors()) {
                builder.intercept(interceptor);
            }
            builder.addService(ServerInterceptors.intercept(new DefaultBindableServiceFactory().createBindableService(this),
                    new GrpcHeaderInterceptor()));
            builder.maxInboundMessageSize(c.getMaxMessageSize())
                    .flowControlWindow(c.getFlowControlWindow())
                    .maxConcurrentCallsPerConnection(c.getMaxConcurrentCallsPerConnection())
                    .initialFlowControlWindow(c.getInitialFlowControlWindow())
                    .keepAliveTime(c.getKeepAliveTime(), TimeUnit.MILLISECONDS)
                    .keepAliveTimeout(c.getKeepAliveTimeout(), TimeUnit.MILLISECONDS)
                    .maxConnectionAge(c.getMaxConnectionAge(), TimeUnit.MILLISECONDS)
                    .maxConnectionIdle(c.getMaxConnectionIdle(), TimeUnit.MILLISECONDS)
                    .maxConnectionAgeGrace(c.getMaxConnectionAgeGrace(), TimeUnit.MILLISECONDS)
                    .maxInboundMetadataSize(c.getMaxInboundMetadataSize())
                    .permitKeepAliveTime(c.getPermitKeepAliveTime(), TimeUnit.MILLISECONDS)
                    .permitKeepAliveWithoutCalls(c.isPermitKeepAliveWithoutCalls());
            serverField().set(this, builder.build());
        }

        /** camel-grpc starts and stops the server it finds in its (private) field; this one is put there. */
        private static Field serverField() throws NoSuchFieldException {
            Field f = GrpcConsumer.class.getDeclaredField("server");
            if (f.getType() != Server.class) {
                throw new IllegalStateException("camel-grpc's GrpcConsumer changed: its server field is a "
                        + f.getType().getName());
            }
            f.setAccessible(true);
            return f;
        }
    }
}
