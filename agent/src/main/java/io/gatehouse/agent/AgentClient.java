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
public final class AgentClient implements AutoCloseable {

    private final String target;
    private final ManagedChannel channel;
    private final AgentGrpc.AgentStub stub;

    private AgentClient(String target, ManagedChannel channel) {
        this.target = target;
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
        return new AgentClient(host + ":" + port, channel);
    }

    /** {@code host:port} of the agent. */
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
        AgentGrpc.AgentStub call = stub;
        ForwardRequest sent = request;
        if (deadline != null) {
            long nanos = Duration.between(Instant.now(), deadline).toNanos();
            call = stub.withDeadlineAfter(nanos, TimeUnit.NANOSECONDS);
            sent = request.toBuilder().setDeadlineUnixMillis(deadline.toEpochMilli()).build();
        }
        call.forward(sent, responses);
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
        channel.shutdown();
        try {
            if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                channel.shutdownNow();
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
