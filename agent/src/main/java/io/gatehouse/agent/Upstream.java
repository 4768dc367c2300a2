package io.gatehouse.agent;

import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.Header;
import io.grpc.stub.ServerCallStreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;

/** One configured HTTP model server: its HTTP client and how requests to it are built. Thread-safe. */
final class Upstream implements ServiceTarget {

    /** Carries the gateway-signed identity token to the model server (ForwardRequest.identity_token). */
    static final String IDENTITY_HEADER = "Gatehouse-Identity";

    private final String name;
    private final ServiceConfig config;
    private final String base;
    private final HttpClient client;
    private final AccessLog accessLog;

    Upstream(String name, ServiceConfig config, AccessLog accessLog) {
        this.name = name;
        this.config = config;
        this.accessLog = accessLog;
        String url = config.url().toString();
        this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void forward(ForwardRequest request, ServerCallStreamObserver<ForwardResponse> out,
                        ScheduledExecutorService timer) {
        new ForwardCall(this, request, out, timer).start();
    }

    /** The JDK client of Java 17 has no close; its connections end with their idle timeout. */
    @Override
    public void close() {
    }

    ServiceConfig config() {
        return config;
    }

    HttpClient client() {
        return client;
    }

    AccessLog accessLog() {
        return accessLog;
    }

    /** The base URL, safe to show (the config forbids user info). */
    String base() {
        return base;
    }

    /**
     * Builds the upstream request: the caller's headers minus the stripped ones, the credential
     * injected, the body as sent.
     *
     * @throws IllegalArgumentException naming what is wrong, never a header value
     */
    HttpRequest build(ForwardRequest request) {
        String path = request.getPath();
        if (!path.startsWith("/") || path.startsWith("//")) {
            throw new IllegalArgumentException("path must start with a single '/'");
        }
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
        String method = request.getMethod().toUpperCase(Locale.ROOT);
        if (!HeaderRules.isToken(method)) {
            throw new IllegalArgumentException("method is not a valid HTTP method");
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri)
                .timeout(config.responseTimeout())
                .method(method, request.getBody().isEmpty()
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(request.getBody().toByteArray()));
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
                    || (credential != null && credential.header().equalsIgnoreCase(headerName))) {
                continue;
            }
            if (!HeaderRules.isToken(headerName)) {
                throw new IllegalArgumentException("request header name '" + printable(headerName) + "' is not valid");
            }
            if (!h.getValue().isEmpty() && !HeaderRules.isValidValue(h.getValue())) {
                throw new IllegalArgumentException("request header '" + headerName + "' has an invalid value");
            }
            try {
                builder.header(headerName, h.getValue());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("request header '" + headerName + "' cannot be sent");
            }
        }
        if (credential != null) {
            builder.header(credential.header(), credential.headerValue());
        }
        String identityToken = request.getIdentityToken();
        if (!identityToken.isEmpty()) {
            if (!HeaderRules.isValidValue(identityToken)) {
                throw new IllegalArgumentException("the identity token is not a valid header value");
            }
            builder.header(IDENTITY_HEADER, identityToken);
        }
        return builder.build();
    }

    static String printable(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 200));
        for (int i = 0; i < s.length() && i < 200; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }

    static String millis(Duration d) {
        return d.toMillis() + " ms";
    }
}
