package io.gatehouse.agent;

import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.Header;
import io.grpc.stub.ServerCallStreamObserver;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One configured HTTP model server: how requests to it are built and checked, and its keep-alive
 * connections, one {@link UpstreamPool} per event loop so that a call only ever uses connections of
 * the thread it runs on. Thread-safe.
 */
final class Upstream implements ServiceTarget {

    private final CredentialSource credentials;
    private final UpstreamTokens tokens;

    /** Carries the gateway-signed identity token to the model server (ForwardRequest.identity_token). */
    static final String IDENTITY_HEADER = "Gatehouse-Identity";
    /** Methods whose request a client may send again when a kept-alive connection turned out closed. */
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");
    /** Methods that announce an empty body with {@code Content-Length: 0}. */
    private static final Set<String> EMPTY_BODY_LENGTH = Set.of("POST", "PUT", "PATCH");

    private final String name;
    private final ServiceConfig config;
    private final String base;
    /** The URL's raw path without a trailing '/': what every request target starts with. */
    private final String basePath;
    private final String hostHeader;
    private final SslContext sslContext;
    private final AccessLog accessLog;
    /** Null when the service's circuit breaker is off. */
    private final ServiceBreaker breaker;
    private final Map<EventLoop, UpstreamPool> pools = new IdentityHashMap<>();

    /**
     * @throws IOException when the service's {@code trustedCa} cannot be read
     */
    Upstream(String name, ServiceConfig config, EventLoops loops, AccessLog accessLog) throws IOException {
        this(name, config, loops, accessLog, config.credential() == null ? null : CredentialSource.fixed(name,
                config.credential()));
    }

    /** @param credentials where the credential's value comes from now; null when the service has no credential */
    Upstream(String name, ServiceConfig config, EventLoops loops, AccessLog accessLog, CredentialSource credentials)
            throws IOException {
        this(name, config, loops, accessLog, credentials, null);
    }

    /** @param tokens the agent's signer of upstream tokens; null when the service has none */
    Upstream(String name, ServiceConfig config, EventLoops loops, AccessLog accessLog, CredentialSource credentials,
             UpstreamTokens tokens) throws IOException {
        this.credentials = credentials;
        this.tokens = tokens;
        this.name = name;
        this.config = config;
        this.accessLog = accessLog;
        String url = config.url().toString();
        this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        URI uri = config.url();
        String rawPath = uri.getRawPath() == null ? "" : uri.getRawPath();
        this.basePath = rawPath.endsWith("/") ? rawPath.substring(0, rawPath.length() - 1) : rawPath;
        this.hostHeader = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
        this.sslContext = config.usesTls() ? sslContext(config) : null;
        this.breaker = ServiceBreaker.of(name, config.circuitBreaker());
        for (EventLoop loop : loops.all()) {
            pools.put(loop, new UpstreamPool(this, loop, loops));
        }
    }

    private static SslContext sslContext(ServiceConfig config) throws IOException {
        try {
            SslContextBuilder builder = SslContextBuilder.forClient()
                    .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
                    .endpointIdentificationAlgorithm("HTTPS");
            if (config.trustedCa() != null) {
                builder.trustManager(config.trustedCa().toFile());
            }
            return builder.build();
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot set up TLS for " + config.url()
                    + (config.trustedCa() == null ? "" : " with trustedCa " + config.trustedCa()) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void forward(ForwardRequest request, ServerCallStreamObserver<ForwardResponse> out, EventLoop loop) {
        new ForwardCall(this, request, out, loop).start();
    }

    /** Closes the idle connections; those in use close when their call ends (the event loops stop after this). */
    @Override
    public void close() {
        pools.forEach((loop, pool) -> {
            if (!loop.isShuttingDown()) {
                loop.execute(pool::close);
            }
        });
    }

    ServiceConfig config() {
        return config;
    }

    /** The base URL, safe to show (the config forbids user info). */
    String base() {
        return base;
    }

    SslContext sslContext() {
        return sslContext;
    }

    AccessLog accessLog() {
        return accessLog;
    }

    /** The service's circuit breaker, or null when it is off. */
    ServiceBreaker breaker() {
        return breaker;
    }

    UpstreamPool pool(EventLoop loop) {
        return pools.get(loop);
    }

    /** A checked request, written once per attempt. */
    record Request(HttpMethod method, String target, HttpHeaders headers, ByteBuf body, boolean idempotent) {
    }

    /**
     * Builds the upstream request: the caller's headers minus the stripped ones, the credential
     * injected, the body as sent (with its Content-Length).
     *
     * @throws IllegalArgumentException naming what is wrong, never a header value
     */
    Request build(ForwardRequest request) {
        String path = request.getPath();
        if (!path.startsWith("/") || path.startsWith("//")) {
            throw new IllegalArgumentException("path must start with a single '/'");
        }
        String target = PlainTarget.of(basePath, path);
        if (target == null) {
            target = parsedTarget(path);
        }
        String method = request.getMethod().toUpperCase(Locale.ROOT);
        if (!HeaderRules.isToken(method)) {
            throw new IllegalArgumentException("method is not a valid HTTP method");
        }
        HttpHeaders headers = new DefaultHttpHeaders();
        headers.add(HttpHeaderNames.HOST, hostHeader);
        CredentialConfig credential = config.credential();
        List<String> connection = new ArrayList<>();
        for (Header h : request.getHeadersList()) {
            if (h.getName().equalsIgnoreCase("connection")) {
                connection.add(h.getValue());
            }
        }
        Set<String> declaredHopByHop = HeaderRules.connectionTokens(connection);
        for (Header h : request.getHeadersList()) {
            String headerName = h.getName();
            if (HeaderRules.isStrippedFromRequest(headerName)
                    || declaredHopByHop.contains(headerName.toLowerCase(Locale.ROOT))
                    || (credential != null && credential.header().equalsIgnoreCase(headerName))
                    || (config.upstreamToken() != null && config.upstreamToken().header().equalsIgnoreCase(headerName))) {
                continue;
            }
            if (!HeaderRules.isToken(headerName)) {
                throw new IllegalArgumentException("request header name '" + printable(headerName) + "' is not valid");
            }
            if (!h.getValue().isEmpty() && !HeaderRules.isValidValue(h.getValue())) {
                throw new IllegalArgumentException("request header '" + headerName + "' has an invalid value");
            }
            try {
                headers.add(headerName, h.getValue());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("request header '" + headerName + "' cannot be sent");
            }
        }
        if (credential != null) {
            headers.add(credential.header(), credential.headerValue(credentials.current()));
        }
        UpstreamTokenConfig token = config.upstreamToken();
        if (token != null && tokens != null) {
            headers.add(token.header(), token.headerValue(tokens.mint(request, name, token)));
        }
        String identityToken = request.getIdentityToken();
        if (!identityToken.isEmpty()) {
            if (!HeaderRules.isValidValue(identityToken)) {
                throw new IllegalArgumentException("the identity token is not a valid header value");
            }
            headers.add(IDENTITY_HEADER, identityToken);
        }
        ByteBuf body = request.getBody().isEmpty() ? Unpooled.EMPTY_BUFFER
                : Unpooled.wrappedBuffer(request.getBody().asReadOnlyByteBuffer());
        if (body.isReadable() || EMPTY_BODY_LENGTH.contains(method)) {
            headers.setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        }
        return new Request(HttpMethod.valueOf(method), target, headers, body, IDEMPOTENT.contains(method));
    }

    /** The request target of a path that is not plain ({@link PlainTarget}), or why it cannot be sent. */
    private String parsedTarget(String path) {
        URI uri;
        try {
            uri = URI.create(base + path);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("path is not a valid URI path");
        }
        URI configured = config.url();
        if (!configured.getScheme().equalsIgnoreCase(uri.getScheme()) || uri.getRawUserInfo() != null
                || !configured.getHost().equalsIgnoreCase(uri.getHost()) || configured.getPort() != uri.getPort()) {
            throw new IllegalArgumentException("path must stay on the service's host");
        }
        return uri.getRawQuery() == null ? uri.getRawPath() : uri.getRawPath() + "?" + uri.getRawQuery();
    }

    /** {@code s} cut to 200 characters with control characters as '?': safe to log; {@code s} itself when it is. */
    static String printable(String s) {
        int n = s.length();
        int i = 0;
        while (i < n && i < 200 && s.charAt(i) >= 0x20 && s.charAt(i) != 0x7f) {
            i++;
        }
        if (i == n) {
            return s;
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), 200));
        for (int k = 0; k < n && k < 200; k++) {
            char c = s.charAt(k);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }

    static String millis(Duration d) {
        return d.toMillis() + " ms";
    }
}
