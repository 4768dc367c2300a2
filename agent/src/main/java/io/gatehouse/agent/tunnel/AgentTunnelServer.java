package io.gatehouse.agent.tunnel;

import io.gatehouse.agent.AgentGroup;
import io.gatehouse.agent.proto.AgentTunnelGrpc;
import io.gatehouse.agent.proto.AttachEvent;
import io.gatehouse.agent.proto.AttachRequest;
import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.TunnelReply;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import javax.security.auth.x500.X500Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's agent-tunnel listener: dialling agents connect here with mutual TLS. An agent's identity is its
 * certificate's common name, which {@code gateway.yaml} pins to one {@code agents.<name>}; a certificate from
 * another CA is refused in the handshake, an identity the config does not know (or one asking to serve another
 * name) when it attaches. Every refusal goes to the {@code refusals} consumer (log, metrics, audit) as well as
 * to the agent. An accepted agent joins its name's {@link AgentGroup} while its attachment lasts.
 */
public final class AgentTunnelServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AgentTunnelServer.class);
    static final Metadata.Key<String> SESSION = Metadata.Key.of("gatehouse-tunnel-session", Metadata.ASCII_STRING_MARSHALLER);
    private static final Context.Key<X509Certificate> PEER = Context.key("gatehouse-tunnel-peer");
    private static final Context.Key<String> REMOTE = Context.key("gatehouse-tunnel-remote");
    private static final Context.Key<String> SESSION_ID = Context.key("gatehouse-tunnel-session");
    private static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    private final Server server;
    private final EventLoopGroup loops;
    private final Map<String, TunnelSession> sessions;

    private AgentTunnelServer(Server server, EventLoopGroup loops, Map<String, TunnelSession> sessions) {
        this.server = server;
        this.loops = loops;
        this.sessions = sessions;
    }

    /**
     * Binds the listener.
     *
     * @param groups   the gateway's agents by name; an accepted agent joins its own
     * @param refusals told of every agent turned away; must not block
     * @throws IOException when a TLS file cannot be read or the address cannot be bound
     */
    public static AgentTunnelServer start(TunnelSettings settings, Map<String, AgentGroup> groups,
                                          Consumer<TunnelRefusal> refusals) throws IOException {
        X509TrustManager trust = recordingTrustManager(settings, refusals);
        ServerCredentials credentials;
        try {
            credentials = TlsServerCredentials.newBuilder()
                    .keyManager(settings.certificate().toFile(), settings.privateKey().toFile())
                    .trustManager(trust)
                    .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot load the agent tunnel's TLS files (certificate " + settings.certificate()
                    + ", key " + settings.privateKey() + "): " + e.getMessage(), e);
        }
        boolean epoll = Epoll.isAvailable();
        DefaultThreadFactory threads = new DefaultThreadFactory("gatehouse-agent-tunnel", true);
        int n = Math.max(1, Runtime.getRuntime().availableProcessors());
        EventLoopGroup loops = epoll ? new EpollEventLoopGroup(n, threads) : new NioEventLoopGroup(n, threads);
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        Map<String, TunnelSession> sessions = new ConcurrentHashMap<>();
        Service service = new Service(settings, groups, refusals, sessions, loops);
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(settings.host(), settings.port()), credentials)
                .bossEventLoopGroup(loops)
                .workerEventLoopGroup(loops)
                .channelType(channelType)
                .directExecutor()
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                // The agents keep the connection alive (20 s pings); allow that, and notice a dead agent ourselves.
                .permitKeepAliveTime(10, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                .keepAliveTime(20, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .addService(ServerInterceptors.intercept(service, new PeerInterceptor()))
                .build();
        try {
            server.start();
        } catch (IOException e) {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException("cannot listen for agents on " + settings.host() + ":" + settings.port() + ": "
                    + e.getMessage(), e);
        }
        LOG.info("agent tunnel listening on {}:{} (mutual TLS) for identities {}", settings.host(), server.getPort(),
                settings.identities().keySet());
        return new AgentTunnelServer(server, loops, sessions);
    }

    public int port() {
        return server.getPort();
    }

    /** The agents attached now. */
    public List<TunnelSession> sessions() {
        return List.copyOf(sessions.values());
    }

    @Override
    public void close() {
        sessions.values().forEach(s -> s.close("the gateway is stopping"));
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            loops.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        }
    }

    /** The CA's trust manager, which also reports a certificate it refuses before the handshake fails. */
    private static X509TrustManager recordingTrustManager(TunnelSettings settings, Consumer<TunnelRefusal> refusals)
            throws IOException {
        X509TrustManager ca;
        try (InputStream in = Files.newInputStream(settings.clientCa())) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + i++, cert);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            ca = (X509TrustManager) factory.getTrustManagers()[0];
        } catch (IOException | GeneralSecurityException e) {
            throw new IOException("cannot read the agents' CA " + settings.clientCa() + ": " + e.getMessage(), e);
        }
        return new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                try {
                    ca.checkClientTrusted(chain, authType);
                } catch (CertificateException e) {
                    X509Certificate leaf = chain == null || chain.length == 0 ? null : chain[0];
                    refusals.accept(new TunnelRefusal(Instant.now(), "", leaf == null ? "" : commonName(leaf),
                            leaf == null ? "" : leaf.getIssuerX500Principal().getName(), "", "untrusted-certificate",
                            "the certificate is not issued by the agents' CA " + settings.clientCa().getFileName()
                                    + " (" + e.getMessage() + ")"));
                    throw e;
                }
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                ca.checkServerTrusted(chain, authType);
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return ca.getAcceptedIssuers();
            }
        };
    }

    /** The common name of a certificate's subject: a dialling agent's identity. */
    static String commonName(X509Certificate cert) {
        String dn = cert.getSubjectX500Principal().getName(X500Principal.RFC2253);
        try {
            for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(dn).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return String.valueOf(rdn.getValue());
                }
            }
        } catch (javax.naming.InvalidNameException e) {
            return "";
        }
        return "";
    }

    /** Puts the peer's verified certificate, its address and the slot's session id into the call's context. */
    private static final class PeerInterceptor implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            X509Certificate peer = null;
            SSLSession ssl = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
            if (ssl != null) {
                try {
                    Certificate[] chain = ssl.getPeerCertificates();
                    if (chain.length > 0 && chain[0] instanceof X509Certificate x) {
                        peer = x;
                    }
                } catch (SSLPeerUnverifiedException e) {
                    peer = null;
                }
            }
            SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
            String session = headers.get(SESSION);
            Context context = Context.current().withValue(PEER, peer)
                    .withValue(REMOTE, remote == null ? "" : remote.toString().replaceFirst("^/", ""))
                    .withValue(SESSION_ID, session == null ? "" : session);
            return Contexts.interceptCall(context, call, headers, next);
        }
    }

    private static final class Service extends AgentTunnelGrpc.AgentTunnelImplBase {
        private final TunnelSettings settings;
        private final Map<String, AgentGroup> groups;
        private final Consumer<TunnelRefusal> refusals;
        private final Map<String, TunnelSession> sessions;
        private final EventLoopGroup timers;

        Service(TunnelSettings settings, Map<String, AgentGroup> groups, Consumer<TunnelRefusal> refusals,
                Map<String, TunnelSession> sessions, EventLoopGroup timers) {
            this.settings = settings;
            this.groups = groups;
            this.refusals = refusals;
            this.sessions = sessions;
            this.timers = timers;
        }

        @Override
        public void attach(AttachRequest request, StreamObserver<AttachEvent> responses) {
            X509Certificate peer = PEER.get();
            String remote = REMOTE.get();
            if (peer == null) {
                refuse(responses, remote, "", "", request.getAgent(), "unknown-identity", "no client certificate");
                return;
            }
            String identity = commonName(peer);
            String issuer = peer.getIssuerX500Principal().getName();
            String pinned = settings.identities().get(identity);
            if (pinned == null) {
                refuse(responses, remote, identity, issuer, request.getAgent(), "unknown-identity",
                        "certificate identity '" + identity + "' is not pinned to any agent in gateway.yaml"
                                + " (add it to agents.<name>.identities)");
                return;
            }
            if (!pinned.equals(request.getAgent())) {
                refuse(responses, remote, identity, issuer, request.getAgent(), "agent-mismatch",
                        "certificate identity '" + identity + "' is pinned to agent '" + pinned + "', not '"
                                + request.getAgent() + "' (set gateway.agent in agent.yaml)");
                return;
            }
            AgentGroup group = groups.get(pinned);
            if (group == null) {
                refuse(responses, remote, identity, issuer, request.getAgent(), "unknown-agent",
                        "agent '" + pinned + "' is not in gateway.yaml's agents");
                return;
            }
            String id = UUID.randomUUID().toString();
            TunnelSession session = new TunnelSession(pinned, identity, remote, request.getInstance(),
                    request.getServicesList(), id, settings.slotWait(), timers);
            ServerCallStreamObserver<AttachEvent> out = (ServerCallStreamObserver<AttachEvent>) responses;
            out.setOnCancelHandler(() -> detach(session, group, "its connection closed"));
            sessions.put(id, session);
            group.add(session);
            LOG.info("agent '{}' attached: identity '{}' from {} (instance {}), services {}", pinned, identity, remote,
                    request.getInstance(), request.getServicesList());
            out.onNext(AttachEvent.newBuilder().setAttached(AttachEvent.Attached.newBuilder().setSession(id)).build());
        }

        private void detach(TunnelSession session, AgentGroup group, String because) {
            if (sessions.remove(session.id()) != null) {
                group.remove(session);
                session.close(because);
                LOG.warn("agent '{}' detached: identity '{}' from {} ({}); {} of its agents remain available",
                        session.agent(), session.identity(), session.remote(), because, group.availableCount());
            }
        }

        private void refuse(StreamObserver<AttachEvent> responses, String remote, String identity, String issuer,
                            String agent, String reason, String detail) {
            refusals.accept(new TunnelRefusal(Instant.now(), remote, identity, issuer, agent, reason, detail));
            responses.onError(Status.PERMISSION_DENIED.withDescription(detail).asRuntimeException());
        }

        @Override
        public StreamObserver<TunnelReply> serve(StreamObserver<ForwardRequest> responses) {
            TunnelSession session = sessions.get(SESSION_ID.get());
            X509Certificate peer = PEER.get();
            if (session == null || peer == null || !session.identity().equals(commonName(peer))) {
                responses.onError(Status.FAILED_PRECONDITION.withDescription(
                        "no attachment of this agent with that session; attach first").asRuntimeException());
                return new StreamObserver<>() {
                    @Override
                    public void onNext(TunnelReply value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                };
            }
            return session.slotOpened((ServerCallStreamObserver<ForwardRequest>) responses);
        }
    }
}
