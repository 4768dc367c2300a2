package io.gatehouse.agent;

import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.Header;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One configured gRPC model server ({@code grpc://} or {@code grpcs://}): its channels, one per agent
 * event loop and running on it (a call to the model runs on the thread its Forward arrived on), built
 * once and shut down with the agent, and how a Forward request becomes a call on it. The agent does
 * not know the upstream's protocol: every method is called with a pass-through byte marshaller, as a
 * bidirectional stream that sends the one request message and half-closes, so unary and streaming
 * methods alike work. Thread-safe.
 */
final class GrpcUpstream implements ServiceTarget {

    private final CredentialSource credentials;
    private final UpstreamTokens tokens;

    /**
     * Largest upstream response message: each becomes one Chunk, which must fit the gateway's
     * default inbound limit of 4 MiB together with the ForwardResponse framing.
     */
    static final int MAX_RESPONSE_MESSAGE_BYTES = 4 * 1024 * 1024 - 16 * 1024;

    /** Request header names that never become metadata: the transport's own, and reserved ones. */
    private static final Set<String> NOT_METADATA = Set.of("content-type", "te", "user-agent", "host",
            "content-length", "accept-encoding", "expect");

    static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private final String name;
    private final ServiceConfig config;
    private final String base;
    private final AccessLog accessLog;
    /** Null when the service's circuit breaker is off. */
    private final ServiceBreaker breaker;
    private final Map<EventLoop, ManagedChannel> channels = new IdentityHashMap<>();

    /**
     * @throws IOException when the service's {@code trustedCa} cannot be read
     */
    GrpcUpstream(String name, ServiceConfig config, EventLoops loops, AccessLog accessLog) throws IOException {
        this(name, config, loops, accessLog, config.credential() == null ? null : CredentialSource.fixed(name,
                config.credential()));
    }

    /** @param credentials where the credential's value comes from now; null when the service has no credential */
    GrpcUpstream(String name, ServiceConfig config, EventLoops loops, AccessLog accessLog, CredentialSource credentials)
            throws IOException {
        this(name, config, loops, accessLog, credentials, null);
    }

    /** @param tokens the agent's signer of upstream tokens; null when the service has none */
    GrpcUpstream(String name, ServiceConfig config, EventLoops loops, AccessLog accessLog, CredentialSource credentials,
             UpstreamTokens tokens) throws IOException {
        this.credentials = credentials;
        this.tokens = tokens;
        this.name = name;
        this.config = config;
        this.accessLog = accessLog;
        this.breaker = ServiceBreaker.of(name, config.circuitBreaker());
        String host = config.url().getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1); // an IPv6 literal, as the channel builder wants it
        }
        this.base = config.url().getScheme().toLowerCase(Locale.ROOT) + "://" + config.url().getRawAuthority();
        ChannelCredentials tls = config.usesTls() ? credentials(config) : null;
        for (EventLoop loop : loops.all()) {
            NettyChannelBuilder builder = tls != null
                    ? NettyChannelBuilder.forAddress(host, config.port(), tls)
                    : NettyChannelBuilder.forAddress(host, config.port()).usePlaintext();
            channels.put(loop, builder
                    .eventLoopGroup(loop)
                    .channelType(loops.socketChannelType())
                    .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                            config.connectTimeout().toMillis()))
                    .maxInboundMessageSize(MAX_RESPONSE_MESSAGE_BYTES)
                    // The call's callbacks only hand messages on to the gateway's stream; none blocks.
                    .directExecutor()
                    .build());
        }
    }

    private static ChannelCredentials credentials(ServiceConfig config) throws IOException {
        if (config.trustedCa() == null) {
            return TlsChannelCredentials.create();
        }
        try {
            return TlsChannelCredentials.newBuilder().trustManager(config.trustedCa().toFile()).build();
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot read trustedCa " + config.trustedCa() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    ServiceConfig config() {
        return config;
    }

    /** The channel whose transport runs on {@code loop}. */
    ManagedChannel channel(EventLoop loop) {
        return channels.get(loop);
    }

    AccessLog accessLog() {
        return accessLog;
    }

    /** The service's circuit breaker, or null when it is off. */
    ServiceBreaker breaker() {
        return breaker;
    }

    /** {@code grpc://host:port}, safe to show (the config forbids user info). */
    String base() {
        return base;
    }

    @Override
    public void forward(ForwardRequest request, ServerCallStreamObserver<ForwardResponse> out, EventLoop loop) {
        new GrpcForwardCall(this, request, out, loop).start();
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        try {
            for (ManagedChannel channel : channels.values()) {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The method a Forward path names: {@code /package.Service/Method}.
     *
     * @throws IllegalArgumentException when the path is not a method name
     */
    static MethodDescriptor<byte[], byte[]> method(String path) {
        int slash = path.indexOf('/', 1);
        boolean ok = path.startsWith("/") && slash > 1 && slash < path.length() - 1 && path.indexOf('/', slash + 1) < 0;
        for (int i = 0; ok && i < path.length(); i++) {
            char c = path.charAt(i);
            ok = c > 0x20 && c < 0x7f && c != '?' && c != '#';
        }
        if (!ok) {
            throw new IllegalArgumentException("path must be a gRPC method name, /package.Service/Method");
        }
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
                .setFullMethodName(path.substring(1))
                .setRequestMarshaller(BYTES)
                .setResponseMarshaller(BYTES)
                .build();
    }

    /**
     * The call's metadata: the caller's headers minus the stripped ones (as for HTTP, plus the
     * transport's own and {@code grpc-*}), lower-cased; {@code -bin} values are base64 as on the wire;
     * then the credential and the identity token.
     *
     * @throws IllegalArgumentException naming what is wrong, never a header value
     */
    Metadata metadata(ForwardRequest request) {
        List<String> connection = new ArrayList<>();
        for (Header h : request.getHeadersList()) {
            if (h.getName().equalsIgnoreCase("connection")) {
                connection.add(h.getValue());
            }
        }
        Set<String> declaredHopByHop = HeaderRules.connectionTokens(connection);
        CredentialConfig credential = config.credential();
        Metadata metadata = new Metadata();
        for (Header h : request.getHeadersList()) {
            String key = h.getName().toLowerCase(Locale.ROOT);
            if (HeaderRules.isStrippedFromRequest(key) || declaredHopByHop.contains(key) || NOT_METADATA.contains(key)
                    || key.startsWith("grpc-") || (credential != null && credential.header().equalsIgnoreCase(key))
                    || (config.upstreamToken() != null && config.upstreamToken().header().equalsIgnoreCase(key))) {
                continue;
            }
            if (!ServiceConfig.isMetadataKey(key)) {
                throw new IllegalArgumentException("request header name '" + Upstream.printable(h.getName())
                        + "' is not a valid gRPC metadata key");
            }
            if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                byte[] value;
                try {
                    value = Base64.getDecoder().decode(h.getValue().strip());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("request header '" + key + "' is not base64");
                }
                metadata.put(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER), value);
                continue;
            }
            if (!h.getValue().isEmpty() && !isAsciiValue(h.getValue())) {
                throw new IllegalArgumentException("request header '" + key + "' has a value gRPC metadata cannot carry");
            }
            metadata.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), h.getValue());
        }
        if (credential != null) {
            metadata.put(Metadata.Key.of(credential.header().toLowerCase(Locale.ROOT), Metadata.ASCII_STRING_MARSHALLER),
                    credential.headerValue(credentials.current()));
        }
        UpstreamTokenConfig token = config.upstreamToken();
        if (token != null && tokens != null) {
            metadata.put(Metadata.Key.of(token.header().toLowerCase(Locale.ROOT), Metadata.ASCII_STRING_MARSHALLER),
                    token.headerValue(tokens.mint(request, name, token)));
        }
        String identityToken = request.getIdentityToken();
        if (!identityToken.isEmpty()) {
            if (!isAsciiValue(identityToken)) {
                throw new IllegalArgumentException("the identity token is not a valid header value");
            }
            metadata.put(Metadata.Key.of(Upstream.IDENTITY_HEADER.toLowerCase(Locale.ROOT), Metadata.ASCII_STRING_MARSHALLER),
                    identityToken);
        }
        return metadata;
    }

    /** Printable ASCII and tab: what an ASCII metadata value carries unchanged. */
    private static boolean isAsciiValue(String s) {
        if (!HeaderRules.isValidValue(s)) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7e) {
                return false;
            }
        }
        return true;
    }

    /** Response metadata as Head headers: text values as they are, {@code -bin} ones base64 (unpadded, as on the wire). */
    static List<Header> headers(Metadata metadata) {
        List<Header> headers = new ArrayList<>();
        if (metadata == null) {
            return headers;
        }
        for (String key : metadata.keys()) {
            if (HeaderRules.isStrippedFromResponse(key) || key.startsWith("grpc-")) {
                continue;
            }
            if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                Iterable<byte[]> values = metadata.getAll(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER));
                if (values != null) {
                    for (byte[] v : values) {
                        headers.add(Header.newBuilder().setName(key)
                                .setValue(Base64.getEncoder().withoutPadding().encodeToString(v)).build());
                    }
                }
                continue;
            }
            Iterable<String> values = metadata.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
            if (values != null) {
                for (String v : values) {
                    headers.add(Header.newBuilder().setName(key).setValue(v).build());
                }
            }
        }
        return headers;
    }
}
