package io.gatehouse.agent;

import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
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
    private final EventLoops loops;
    private final AccessLog accessLog;
    private final Map<String, ServiceTarget> upstreams;

    private AgentServer(Server server, EventLoops loops, AccessLog accessLog, Map<String, ServiceTarget> upstreams) {
        this.server = server;
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
        try {
            for (Map.Entry<String, ServiceConfig> e : settings.services().entrySet()) {
                String name = e.getKey();
                ServiceConfig service = e.getValue();
                try {
                    upstreams.put(name, service.isGrpc() ? new GrpcUpstream(name, service, loops, accessLog)
                            : new Upstream(name, service, loops, accessLog));
                } catch (IOException ex) {
                    throw new IOException("service '" + name + "': " + ex.getMessage(), ex);
                }
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
                    .addService(new AgentService(Collections.unmodifiableMap(upstreams), loops, accessLog))
                    .build();
            try {
                server.start();
            } catch (IOException e) {
                throw new IOException("cannot listen on " + listen.host() + ":" + listen.port() + ": " + e.getMessage(), e);
            }
            LOG.info("agent listening on {}:{} (mutual TLS) for services {}", listen.host(), server.getPort(),
                    upstreams.keySet());
            return new AgentServer(server, loops, accessLog, upstreams);
        } catch (IOException | RuntimeException e) {
            upstreams.values().forEach(ServiceTarget::close);
            accessLog.close();
            loops.close();
            throw e;
        }
    }

    /** The bound port (useful when the settings asked for port 0). */
    public int port() {
        return server.getPort();
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
     * A drain: stops taking calls, gives the calls being forwarded (streams included) up to {@code drainTimeout}
     * to end, then cancels the rest (the gateway records them as failed); closes the connections to the
     * services, writes the access log's last lines and stops the event loops.
     */
    public void close(java.time.Duration drainTimeout) {
        server.shutdown();
        try {
            if (!server.awaitTermination(drainTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                server.shutdownNow();
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            upstreams.values().forEach(ServiceTarget::close);
            accessLog.close();
            loops.close();
        }
    }
}
