package io.gatehouse.agent;

import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent process's gRPC server: mutual TLS (a client certificate signed by the configured CA is
 * required), one {@code Forward} per gateway request, streamed back as the model server produces it.
 * The server and every connection to a model server share one set of event loops ({@link EventLoops}):
 * a Forward runs start to end on the loop it arrived on.
 */
public final class AgentServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AgentServer.class);
    /** Largest Forward request (headers and body) the agent accepts; gRPC's own default is 4 MiB. */
    public static final int MAX_REQUEST_BYTES = 64 * 1024 * 1024;

    private final Server server;
    private final GatewayDialer dialer;
    private final EventLoops loops;
    private final AccessLog accessLog;
    private final Map<String, ServiceTarget> upstreams;

    private final SecretFiles secrets;
    private final JwksServer jwks;
    /** Null when tracing is off. */
    private io.gatehouse.agent.tracing.Tracing tracing;

    private AgentServer(Server server, GatewayDialer dialer, EventLoops loops, AccessLog accessLog,
                        Map<String, ServiceTarget> upstreams, SecretFiles secrets, JwksServer jwks) {
        this.secrets = secrets;
        this.jwks = jwks;
        this.server = server;
        this.dialer = dialer;
        this.loops = loops;
        this.accessLog = accessLog;
        this.upstreams = upstreams;
    }

    /**
     * Starts the agent. Without {@link AgentSettings#tls()} it uses (and if needed creates) the
     * development certificates under {@code <dataDirectory>/certs}.
     *
     * @throws IOException when a certificate or key cannot be read, or the address cannot be bound
     */
    public static AgentServer start(AgentSettings settings) throws IOException {
        return start(settings, java.nio.file.Path.of("").toAbsolutePath());
    }

    /**
     * Starts the agent; a relative {@code file:} secret is re-read from {@code configDirectory} (the directory of
     * agent.yaml, which it was first read from).
     */
    public static AgentServer start(AgentSettings settings, java.nio.file.Path configDirectory) throws IOException {
        TlsServerConfig tls = settings.tls();
        if (tls == null) {
            DevCertificates.CertificateFiles dev = DevCertificates.ensure(settings.dataDirectory());
            LOG.info("no tls settings: using development certificates in {}", dev.caCertificate().getParent());
            tls = new TlsServerConfig(dev.agentCertificate(), dev.agentKey(), dev.caCertificate());
        }
        ServerCredentials credentials;
        try {
            credentials = TlsServerCredentials.newBuilder()
                    .keyManager(tls.certificate().toFile(), tls.privateKey().toFile())
                    .trustManager(tls.clientCa().toFile())
                    .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot load the agent's TLS files (certificate " + tls.certificate() + ", key "
                    + tls.privateKey() + ", client CA " + tls.clientCa() + "): " + e.getMessage(), e);
        }
        EventLoops loops = EventLoops.forThisMachine();
        AccessLog accessLog = new AccessLog(settings.accessLog());
        Map<String, ServiceTarget> upstreams = new LinkedHashMap<>();
        ListenConfig listen = settings.listen();
        SecretFiles secrets = new SecretFiles();
        boolean minting = settings.services().values().stream().anyMatch(c -> c.upstreamToken() != null);
        UpstreamTokens tokens = minting ? UpstreamTokens.generate() : null;
        JwksServer jwks = null;
        // Null when tracing is off: no SDK, and the services are not wrapped (docs/tracing.md).
        io.gatehouse.agent.tracing.Tracing tracing = io.gatehouse.agent.tracing.Tracing.open(settings.tracing(),
                "gatehouse-agent", System::getenv);
        try {
            if (minting) {
                jwks = JwksServer.start(settings.jwks(), tokens);
                LOG.info("upstream token keys published at http://{}:{}/jwks.json", settings.jwks().host(), jwks.port());
            }
            for (Map.Entry<String, ServiceConfig> e : settings.services().entrySet()) {
                String name = e.getKey();
                ServiceConfig service = e.getValue();
                try {
                    CredentialSource source = service.credential() == null ? null
                            : CredentialSource.of(name, service.credential(), configDirectory, secrets);
                    ServiceTarget target = service.isGrpc()
                            ? new GrpcUpstream(name, service, loops, accessLog, source, tokens)
                            : new Upstream(name, service, loops, accessLog, source, tokens);
                    upstreams.put(name, tracing == null ? target : new TracedTarget(target, tracing, service.isGrpc()));
                } catch (IOException ex) {
                    throw new IOException("service '" + name + "': " + ex.getMessage(), ex);
                }
            }
            AgentService service = new AgentService(Collections.unmodifiableMap(upstreams), loops, accessLog);
            GatewayDialer dialer = null;
            if (settings.gateway() != null) {
                DialOutConfig out = settings.gateway();
                ClientTls dialTls = out.tls() == null ? devDialOutTls(settings.dataDirectory())
                        : new ClientTls(out.tls().certificate(), out.tls().privateKey(), out.tls().trustedCa());
                dialer = GatewayDialer.start(out, dialTls, List.copyOf(upstreams.keySet()), loops, service::forward);
                LOG.info("agent dialling the gateway at {} as '{}' for services {}", out.address(), out.agent(),
                        upstreams.keySet());
            }
            if (!settings.listens()) {
                return new AgentServer(null, dialer, loops, accessLog, upstreams, secrets, jwks).traced(tracing);
            }
            Server server = NettyServerBuilder.forAddress(new InetSocketAddress(listen.host(), listen.port()), credentials)
                    .bossEventLoopGroup(loops.group())
                    .workerEventLoopGroup(loops.group())
                    .channelType(loops.serverChannelType())
                    .maxInboundMessageSize(MAX_REQUEST_BYTES)
                    // Calls never block (the model is called asynchronously), so they run on the transport's
                    // own threads: no hand-off to a worker pool per message, which cost about a millisecond
                    // per call on 2 cores (bench/README.md).
                    .directExecutor()
                    .addService(service)
                    .build();
            try {
                server.start();
            } catch (IOException e) {
                if (dialer != null) {
                    dialer.close();
                }
                throw new IOException("cannot listen on " + listen.host() + ":" + listen.port() + ": " + e.getMessage(), e);
            }
            LOG.info("agent listening on {}:{} (mutual TLS) for services {}", listen.host(), server.getPort(),
                    upstreams.keySet());
            return new AgentServer(server, dialer, loops, accessLog, upstreams, secrets, jwks).traced(tracing);
        } catch (IOException | RuntimeException e) {
            if (jwks != null) {
                jwks.close();
            }
            secrets.close();
            upstreams.values().forEach(ServiceTarget::close);
            accessLog.close();
            loops.close();
            if (tracing != null) {
                tracing.close();
            }
            throw e;
        }
    }

    private AgentServer traced(io.gatehouse.agent.tracing.Tracing t) {
        this.tracing = t;
        return this;
    }

    private void closeTracing() {
        if (tracing != null) {
            tracing.close(); // exports the last spans
        }
    }

    /** The bound port (useful when the settings asked for port 0); -1 when the agent only dials out. */
    public int port() {
        return server == null ? -1 : server.getPort();
    }

    /** True when this agent dials out and the gateway has accepted it (its attachment is open). */
    public boolean attachedToGateway() {
        return dialer != null && dialer.attached();
    }

    /**
     * Drops every connection at once, without a goodbye to the gateway, then stops: what the gateway sees when the
     * agent's process is killed. For failure tests; {@link #close()} is the orderly stop.
     */
    public void abort() {
        if (dialer != null) {
            dialer.abort();
        }
        if (server != null) {
            server.shutdownNow();
        }
        closeJwks();
        secrets.close();
        upstreams.values().forEach(ServiceTarget::close);
        accessLog.close();
        loops.close();
        closeTracing();
    }

    private void closeJwks() {
        if (jwks != null) {
            jwks.close();
        }
    }

    /** The port of the JWKS of upstream tokens, or -1 when no service mints them. */
    public int jwksPort() {
        return jwks == null ? -1 : jwks.port();
    }

    /** The dev certificates' agent certificate as a client certificate towards the gateway's tunnel listener. */
    private static ClientTls devDialOutTls(java.nio.file.Path dataDirectory) {
        DevCertificates.CertificateFiles dev = DevCertificates.ensure(dataDirectory);
        LOG.info("no gateway.tls settings: dialling out with the development certificates in {}",
                dev.caCertificate().getParent());
        return new ClientTls(dev.agentCertificate(), dev.agentKey(), dev.caCertificate());
    }

    /**
     * Stops accepting calls, gives running calls 5 s to end, then cancels them; closes the connections to
     * the services, writes the access log's last lines and stops the event loops.
     */
    @Override
    public void close() {
        close(java.time.Duration.ofSeconds(5));
    }

    /**
     * A drain: stops taking calls (a dialling agent closes its call slots), gives the calls being forwarded
     * (streams included) up to {@code drainTimeout} to end, then cancels the rest (the gateway records them as
     * failed); closes the connections to the services, writes the access log's last lines and stops the event
     * loops.
     */
    public void close(java.time.Duration drainTimeout) {
        try {
            if (dialer != null) {
                dialer.close();
            }
            if (server != null) {
                server.shutdown();
                if (!server.awaitTermination(drainTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    server.shutdownNow();
                    server.awaitTermination(5, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            if (server != null) {
                server.shutdownNow();
            }
            Thread.currentThread().interrupt();
        } finally {
            closeJwks();
            secrets.close();
            upstreams.values().forEach(ServiceTarget::close);
            accessLog.close();
            loops.close();
            closeTracing();
        }
    }
}
