package io.gatehouse.agent;

import io.gatehouse.spi.ConfigException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * A model server the agent forwards to.
 *
 * @param url             http or https base URL, e.g. {@code http://127.0.0.1:8000}; request paths
 *                        are appended to it. No user info, query or fragment. Or a gRPC server:
 *                        {@code grpc://host:port} (plaintext HTTP/2, h2c) or {@code grpcs://host:port}
 *                        (TLS, trusting the JVM's CAs), without a path; a Forward then is one gRPC call
 *                        whose path is the full method name ({@code /inference.GRPCInferenceService/ModelInfer})
 *                        and whose body is the one request message. The port defaults to 80 / 443.
 * @param credential      what to inject; null when the model server needs no credential. For a gRPC
 *                        service it is sent as metadata under the lower-cased header name, which must
 *                        then be a valid metadata key ({@code a-z 0-9 - _ .}, not {@code grpc-*})
 * @param connectTimeout  TCP/TLS connect timeout; default 5s
 * @param responseTimeout time from sending the request to the response head (for gRPC: to the first
 *                        response message or the close); default 300s
 * @param trustedCa       for an {@code https://} or {@code grpcs://} service: the PEM CA certificate(s)
 *                        its server certificate must chain to; null = the JVM's trusted CAs. The host
 *                        name (or IP) of the URL must match the certificate either way.
 * @param upstreamToken   a short-lived JWT the agent signs per request ({@link UpstreamTokenConfig}); null = none
 * @param circuitBreaker  when to stop calling a failing service (HTTP or gRPC) for a while ({@link CircuitBreakerConfig});
 *                        absent = the defaults (on)
 */
public record ServiceConfig(URI url, CredentialConfig credential, Duration connectTimeout, Duration responseTimeout,
                            Path trustedCa, UpstreamTokenConfig upstreamToken, CircuitBreakerConfig circuitBreaker) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(300);
    static final String GRPC = "grpc";
    static final String GRPCS = "grpcs";

    public ServiceConfig {
        if (url == null) {
            throw new ConfigException("url", "is required (the model server's base URL, e.g. http://127.0.0.1:8000)");
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") && !scheme.equals(GRPC) && !scheme.equals(GRPCS)) {
            throw new ConfigException("url", "'" + url + "' must be an http, https, grpc or grpcs URL");
        }
        if (url.getHost() == null) {
            throw new ConfigException("url", "'" + url + "' has no host");
        }
        if (url.getRawUserInfo() != null) {
            throw new ConfigException("url", "must not contain user info (put credentials in 'credential')");
        }
        if (url.getRawQuery() != null || url.getRawFragment() != null) {
            throw new ConfigException("url", "'" + url + "' must not have a query or fragment");
        }
        boolean grpc = scheme.equals(GRPC) || scheme.equals(GRPCS);
        if (grpc && url.getRawPath() != null && !url.getRawPath().isEmpty() && !url.getRawPath().equals("/")) {
            throw new ConfigException("url", "'" + url + "' must not have a path (a gRPC call's path is its method name)");
        }
        if (grpc && credential != null && !isMetadataKey(credential.header())) {
            throw new ConfigException("credential", "header '" + credential.header()
                    + "' cannot be gRPC metadata (expected letters, digits, '-', '_' or '.', not grpc-*)");
        }
        connectTimeout = positive("connectTimeout", connectTimeout, DEFAULT_CONNECT_TIMEOUT);
        responseTimeout = positive("responseTimeout", responseTimeout, DEFAULT_RESPONSE_TIMEOUT);
        if (upstreamToken != null && credential != null && upstreamToken.header().equalsIgnoreCase(credential.header())) {
            throw new ConfigException("upstreamToken", "goes in header '" + upstreamToken.header()
                    + "', which the credential uses too: drop the credential, or give the token another header");
        }
        if (upstreamToken != null && grpc && !isMetadataKey(upstreamToken.header())) {
            throw new ConfigException("upstreamToken", "header '" + upstreamToken.header() + "' cannot be gRPC metadata");
        }
        if (trustedCa != null && !scheme.equals("https") && !scheme.equals(GRPCS)) {
            throw new ConfigException("trustedCa", "is only for https:// and grpcs:// services ('" + url
                    + "' does not use TLS)");
        }
        if (circuitBreaker == null) {
            circuitBreaker = CircuitBreakerConfig.defaults();
        }
    }

    /** A service without upstream token, with the default circuit breaker. */
    public ServiceConfig(URI url, CredentialConfig credential, Duration connectTimeout, Duration responseTimeout,
                         Path trustedCa) {
        this(url, credential, connectTimeout, responseTimeout, trustedCa, null, null);
    }

    /** A service with this upstream token (null = none) and the default circuit breaker. */
    public ServiceConfig(URI url, CredentialConfig credential, Duration connectTimeout, Duration responseTimeout,
                         Path trustedCa, UpstreamTokenConfig upstreamToken) {
        this(url, credential, connectTimeout, responseTimeout, trustedCa, upstreamToken, null);
    }

    /** A service without upstream token, with this circuit breaker (null = the defaults). */
    public ServiceConfig(URI url, CredentialConfig credential, Duration connectTimeout, Duration responseTimeout,
                         Path trustedCa, CircuitBreakerConfig circuitBreaker) {
        this(url, credential, connectTimeout, responseTimeout, trustedCa, null, circuitBreaker);
    }

    /** A service that trusts the JVM's CAs. */
    public ServiceConfig(URI url, CredentialConfig credential, Duration connectTimeout, Duration responseTimeout) {
        this(url, credential, connectTimeout, responseTimeout, null, null, null);
    }

    /** True for a {@code grpc://} or {@code grpcs://} service. */
    public boolean isGrpc() {
        String scheme = url.getScheme().toLowerCase(Locale.ROOT);
        return scheme.equals(GRPC) || scheme.equals(GRPCS);
    }

    /** True for {@code grpcs://} (and {@code https://}): the connection uses TLS. */
    public boolean usesTls() {
        String scheme = url.getScheme().toLowerCase(Locale.ROOT);
        return scheme.equals(GRPCS) || scheme.equals("https");
    }

    /** The port of the URL, or the scheme's default (80, 443). */
    public int port() {
        return url.getPort() >= 0 ? url.getPort() : usesTls() ? 443 : 80;
    }

    /** A gRPC metadata key once lower-cased: {@code [0-9a-z_.-]+}, not reserved ({@code grpc-*}). */
    static boolean isMetadataKey(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        if (key.isEmpty() || key.startsWith("grpc-")) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
                return false;
            }
        }
        return true;
    }

    /** A service without credential and with default timeouts. */
    public static ServiceConfig of(URI url) {
        return new ServiceConfig(url, null, null, null);
    }

    private static Duration positive(String field, Duration value, Duration fallback) {
        if (value == null) {
            return fallback;
        }
        if (value.isNegative() || value.isZero()) {
            throw new ConfigException(field, "must be positive, got " + value);
        }
        return value;
    }
}
