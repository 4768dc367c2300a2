package io.gatehouse.agent;

import io.gatehouse.agent.proto.AgentGrpc;
import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.HealthRequest;
import io.gatehouse.agent.proto.HealthResponse;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's connection to one agent: gRPC over mutual TLS. Thread-safe; share one per agent.
 * Nothing blocks except {@link #close()}.
 */
public final class AgentClient implements AgentCalls, AutoCloseable {

    private final String host;
    private final int port;
    private final ChannelCredentials credentials;
    private final String target;
    private final ManagedChannel channel;
    private final AgentGrpc.AgentStub stub;
    /** One connection per event loop that calls, bound to that loop (see {@link #forward}). */
    private final Map<EventLoop, LoopChannel> loopChannels = new ConcurrentHashMap<>();
    private volatile boolean closed;
    /** {@link System#nanoTime()} until which this agent counts as down after a call could not reach it. */
    private volatile long downUntil;

    private record LoopChannel(ManagedChannel channel, AgentGrpc.AgentStub stub) {
    }

    private AgentClient(String host, int port, ChannelCredentials credentials, ManagedChannel channel) {
        this.host = host;
        this.port = port;
        this.credentials = credentials;
        this.target = host + ":" + port;
        this.channel = channel;
        this.stub = AgentGrpc.newStub(channel);
    }

    /**
     * Creates the channel (it connects lazily, on the first call).
     *
     * @throws IOException when a certificate or key cannot be read
     */
    public static AgentClient connect(String host, int port, ClientTls tls) throws IOException {
        ChannelCredentials credentials;
        try {
            credentials = TlsChannelCredentials.newBuilder()
                    .keyManager(tls.certificate().toFile(), tls.privateKey().toFile())
                    .trustManager(tls.trustedCa().toFile())
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot load the gateway's agent TLS files (certificate " + tls.certificate()
                    + ", key " + tls.privateKey() + ", CA " + tls.trustedCa() + "): " + e.getMessage(), e);
        }
        ManagedChannel channel = Grpc.newChannelBuilderForAddress(host, port, credentials).build();
        return new AgentClient(host, port, credentials, channel);
    }

    /**
     * False while the connection to the agent is known broken: a call found it unreachable less than a second
     * ago, or the channel is in transient failure. A group of agents then sends calls to the others.
     */
    @Override
    public boolean available() {
        if (closed || System.nanoTime() - downUntil < 0) {
            return false;
        }
        for (LoopChannel lc : loopChannels.values()) {
            if (lc.channel().getState(false) == io.grpc.ConnectivityState.TRANSIENT_FAILURE) {
                return false;
            }
        }
        return channel.getState(false) != io.grpc.ConnectivityState.TRANSIENT_FAILURE;
    }

    @Override
    public void unreachable() {
        markDown(1000);
    }

    /** Records that a call could not reach the agent: {@link #available()} is false for {@code forMillis}. */
    public void markDown(long forMillis) {
        downUntil = System.nanoTime() + forMillis * 1_000_000L;
    }

    /** {@code host:port} of the agent. */
    @Override
    public String target() {
        return target;
    }

    /**
     * Sends one Forward. With a deadline, the call carries it both as a gRPC deadline and as
     * {@code deadline_unix_millis}, so the agent cancels the upstream exchange when it passes.
     * Pass a {@link ClientResponseObserver} to take over flow control
     * ({@code disableAutoRequestWithInitial}) and to be able to cancel.
     *
     * @param deadline when the whole exchange must be over; null for none
     */
    public void forward(ForwardRequest request, Instant deadline, StreamObserver<ForwardResponse> responses) {
        forward(request, deadline, responses, null);
    }

    /**
     * Sends one Forward from an exchange that lives on {@code home}. When {@code home} is a Netty
     * event loop, the call uses that loop's own connection to the agent and its callbacks run on
     * that loop, without a hand-off to another thread: the responses observer must not block.
     * Otherwise the shared connection and gRPC's executor are used.
     */
    @Override
    public void forward(ForwardRequest request, Instant deadline, StreamObserver<ForwardResponse> responses,
                        Executor home) {
        AgentGrpc.AgentStub call = home instanceof EventLoop loop && !closed ? loopChannel(loop).stub() : stub;
        ForwardRequest sent = request;
        if (deadline != null) {
            long nanos = Duration.between(Instant.now(), deadline).toNanos();
            call = call.withDeadlineAfter(nanos, TimeUnit.NANOSECONDS);
            sent = request.toBuilder().setDeadlineUnixMillis(deadline.toEpochMilli()).build();
        }
        call.forward(sent, responses);
    }

    private LoopChannel loopChannel(EventLoop loop) {
        LoopChannel existing = loopChannels.get(loop);
        if (existing != null) {
            return existing;
        }
        return loopChannels.computeIfAbsent(loop, l -> {
            ManagedChannel ch = NettyChannelBuilder.forAddress(host, port, credentials)
                    .eventLoopGroup(l)
                    .channelType(l.parent() instanceof EpollEventLoopGroup ? EpollSocketChannel.class
                            : NioSocketChannel.class)
                    .directExecutor()
                    .build();
            return new LoopChannel(ch, AgentGrpc.newStub(ch));
        });
    }

    /** Asks the agent which services it knows; fails with the gRPC status when unreachable. */
    public CompletableFuture<HealthResponse> health(Duration timeout) {
        CompletableFuture<HealthResponse> result = new CompletableFuture<>();
        stub.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS).health(HealthRequest.getDefaultInstance(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(HealthResponse value) {
                        result.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        result.completeExceptionally(new IllegalStateException("the agent sent no health response"));
                    }
                });
        return result;
    }

    /** The async stub, for callers that need more than {@link #forward}. */
    public AgentGrpc.AgentStub stub() {
        return stub;
    }

    /** Closes the channel: running calls get 5 s, then are cancelled. */
    @Override
    public void close() {
        closed = true;
        loopChannels.values().forEach(lc -> lc.channel().shutdown());
        channel.shutdown();
        try {
            if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
            for (LoopChannel lc : loopChannels.values()) {
                if (!lc.channel().awaitTermination(5, TimeUnit.SECONDS)) {
                    lc.channel().shutdownNow();
                }
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "AgentClient[" + target + "]";
    }
}
