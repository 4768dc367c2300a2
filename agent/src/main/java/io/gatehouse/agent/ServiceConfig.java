package io.gatehouse.agent;

import io.gatehouse.spi.ConfigException;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;

/**
 * A model server the agent forwards to.
 *
 * @param url             http or https base URL, e.g. {@code http://127.0.0.1:8000}; request paths
 *                        are appended to it. No user info, query or fragment.
 * @param credential      what to inject; null when the model server needs no credential
 * @param connectTimeout  TCP/TLS connect timeout; default 5s
 * @param responseTimeout time from sending the request to the response head; default 300s
 */
public record ServiceConfig(URI url, CredentialConfig credential, Duration connectTimeout, Duration responseTimeout) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(300);

    public ServiceConfig {
        if (url == null) {
            throw new ConfigException("url", "is required (the model server's base URL, e.g. http://127.0.0.1:8000)");
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new ConfigException("url", "'" + url + "' must be an http or https URL");
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
        connectTimeout = positive("connectTimeout", connectTimeout, DEFAULT_CONNECT_TIMEOUT);
        responseTimeout = positive("responseTimeout", responseTimeout, DEFAULT_RESPONSE_TIMEOUT);
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
