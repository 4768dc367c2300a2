package io.gatehouse.agent;

import io.gatehouse.agent.proto.AgentTunnelGrpc;
import io.gatehouse.agent.proto.AttachEvent;
import io.gatehouse.agent.proto.AttachRequest;
import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.TunnelReply;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dial-out mode: keeps this agent attached to the gateway's agent-tunnel listener and serves the gateway's
 * Forward calls over the call slots it opens. One mutually authenticated HTTP/2 connection; the agent is its
 * gRPC client. When the attachment ends (gateway restart, network cut, refusal) it attaches again after a
 * jittered, doubling back-off ({@code reconnectMin} .. {@code reconnectMax}), so a fleet of agents does not
 * reconnect in lock-step.
 *
 * <p>The channel runs on the agent's own event loops with a direct executor: a Forward that arrives on a slot
 * is served on that loop, exactly as one that arrives on the listening server.
 */
final class GatewayDialer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayDialer.class);
    /** The metadata key carrying the session id of the attachment a slot belongs to. */
    static final Metadata.Key<String> SESSION = Metadata.Key.of("gatehouse-tunnel-session", Metadata.ASCII_STRING_MARSHALLER);

    private final DialOutConfig config;
    private final List<String> services;
    private final EventLoops loops;
    private final BiConsumer<ForwardRequest, TunnelResponses> dispatch;
    private final ManagedChannel channel;
    private final AgentTunnelGrpc.AgentTunnelStub stub;
    private final String instance;
    private final Object lock = new Object();

    // Guarded by lock.
    private int attempt;
    private String session;
    private ClientCallStreamObserver<AttachRequest> attach;
    private boolean closed;
    private volatile boolean attached;

    private GatewayDialer(DialOutConfig config, List<String> services, EventLoops loops,
                          BiConsumer<ForwardRequest, TunnelResponses> dispatch, ManagedChannel channel) {
        this.config = config;
        this.services = List.copyOf(services);
        this.loops = loops;
        this.dispatch = dispatch;
        this.channel = channel;
        this.stub = AgentTunnelGrpc.newStub(channel);
        this.instance = instanceName();
    }

    /**
     * Builds the channel and starts attaching (it does not wait for the gateway).
     *
     * @throws IOException when a certificate or key cannot be read
     */
    static GatewayDialer start(DialOutConfig config, ClientTls tls, List<String> services, EventLoops loops,
                               BiConsumer<ForwardRequest, TunnelResponses> dispatch) throws IOException {
        ChannelCredentials credentials;
        try {
            credentials = TlsChannelCredentials.newBuilder()
                    .keyManager(tls.certificate().toFile(), tls.privateKey().toFile())
                    .trustManager(tls.trustedCa().toFile())
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot load the agent's dial-out TLS files (certificate " + tls.certificate()
                    + ", key " + tls.privateKey() + ", CA " + tls.trustedCa() + "): " + e.getMessage(), e);
        }
        ManagedChannel channel = NettyChannelBuilder.forAddress(config.host(), config.port(), credentials)
                .eventLoopGroup(loops.group())
                .channelType(loops.socketChannelType())
                .directExecutor()
                .maxInboundMessageSize(AgentServer.MAX_REQUEST_BYTES)
                // A dead gateway or a silently dropped NAT mapping is noticed within a minute, not hours.
                .keepAliveTime(20, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(true)
                .build();
        GatewayDialer dialer = new GatewayDialer(config, services, loops, dispatch, channel);
        dialer.attach();
        return dialer;
    }

    /** True while the gateway has accepted this agent (an Attach is open). */
    boolean attached() {
        return attached;
    }

    private void attach() {
        synchronized (lock) {
            if (closed) {
                return;
            }
        }
        AttachRequest hello = AttachRequest.newBuilder().setAgent(config.agent()).addAllServices(services)
                .setInstance(instance).build();
        stub.attach(hello, new ClientResponseObserver<AttachRequest, AttachEvent>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<AttachRequest> call) {
                synchronized (lock) {
                    attach = call;
                }
            }

            @Override
            public void onNext(AttachEvent event) {
                if (event.hasAttached()) {
                    attached(event.getAttached().getSession());
                }
            }

            @Override
            public void onError(Throwable t) {
                detached(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                detached(Status.UNAVAILABLE.withDescription("the gateway ended the attachment"));
            }
        });
    }

    private void attached(String id) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            session = id;
            attempt = 0;
        }
        attached = true;
        LOG.info("attached to the gateway at {} as agent '{}' (session {}); serving {}", config.address(), config.agent(),
                id, services);
        for (int i = 0; i < config.idleSlots(); i++) {
            openSlot(id);
        }
    }

    private void detached(Status status) {
        long delayMillis;
        boolean wasAttached = attached;
        attached = false;
        synchronized (lock) {
            session = null;
            attach = null;
            if (closed) {
                return;
            }
            long min = config.reconnectMin().toMillis();
            long max = config.reconnectMax().toMillis();
            long ceiling = Math.min(max, min << Math.min(attempt, 20));
            attempt++;
            // "Equal jitter": half the ceiling fixed, half random, so retries spread but still back off.
            delayMillis = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
        }
        String why = status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
        if (status.getCode() == Status.Code.PERMISSION_DENIED || status.getCode() == Status.Code.UNAUTHENTICATED) {
            LOG.error("the gateway at {} refused this agent as '{}' ({}); check the agent name and that the gateway"
                    + " pins this certificate's identity to it; retrying in {} ms", config.address(), config.agent(),
                    why, delayMillis);
        } else if (wasAttached) {
            LOG.warn("lost the gateway at {} ({}); reconnecting in {} ms", config.address(), why, delayMillis);
        } else {
            LOG.info("cannot attach to the gateway at {} ({}); retrying in {} ms", config.address(), why, delayMillis);
        }
        loops.group().schedule(this::attach, delayMillis, TimeUnit.MILLISECONDS);
    }

    /** Opens one idle call slot of attachment {@code id}; does nothing once that attachment is over. */
    private void openSlot(String id) {
        synchronized (lock) {
            if (closed || !id.equals(session)) {
                return;
            }
        }
        Metadata headers = new Metadata();
        headers.put(SESSION, id);
        stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)).serve(new Slot(id));
    }

    /** One call slot: waits for its one ForwardRequest, serves it, opens a replacement as soon as it is taken. */
    private final class Slot implements ClientResponseObserver<TunnelReply, ForwardRequest> {
        private final String id;
        private ClientCallStreamObserver<TunnelReply> call;
        private TunnelResponses responses;

        Slot(String id) {
            this.id = id;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<TunnelReply> requestStream) {
            this.call = requestStream;
            requestStream.disableAutoRequestWithInitial(1);
            requestStream.setOnReadyHandler(() -> {
                if (responses != null) {
                    responses.ready();
                }
            });
        }

        @Override
        public void onNext(ForwardRequest request) {
            if (responses != null) {
                call.cancel("the gateway sent a second request on one call slot", null);
                responses.cancelledByGateway();
                return;
            }
            responses = new TunnelResponses(call);
            openSlot(id); // keep the number of idle slots up
            dispatch.accept(request, responses);
        }

        @Override
        public void onError(Throwable t) {
            if (responses != null) {
                responses.cancelledByGateway();
            }
        }

        @Override
        public void onCompleted() {
            if (responses != null && !responses.closed()) {
                responses.cancelledByGateway();
            }
        }
    }

    /** Ends the attachment; calls in flight get 5 s (the channel's shutdown), then are cancelled. */
    @Override
    public void close() {
        ClientCallStreamObserver<AttachRequest> open;
        synchronized (lock) {
            closed = true;
            open = attach;
        }
        if (open != null) {
            open.cancel("the agent is stopping", null);
        }
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

    /** Drops the connection at once, with no goodbye: what the gateway sees when this agent's process is killed. */
    void abort() {
        synchronized (lock) {
            closed = true;
        }
        channel.shutdownNow();
    }

    private static String instanceName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            host = "unknown-host";
        }
        return host + "/" + ManagementFactory.getRuntimeMXBean().getPid();
    }

}
