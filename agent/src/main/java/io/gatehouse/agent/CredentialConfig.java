package io.gatehouse.agent;

import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Secret;

/**
 * The credential the agent injects into every request to a service:
 * {@code <header>: <scheme> <secret>}, or {@code <header>: <secret>} when the scheme is empty.
 *
 * @param header header name; default {@code Authorization}
 * @param scheme scheme before the value; default {@code Bearer}; {@code ""} sends the raw value
 * @param secret the value; required. {@link #toString()} shows only its reference.
 */
public record CredentialConfig(String header, String scheme, Secret secret) {

    public static final String DEFAULT_HEADER = "Authorization";
    public static final String DEFAULT_SCHEME = "Bearer";

    public CredentialConfig {
        if (header == null) {
            header = DEFAULT_HEADER;
        } else if (!HeaderRules.isToken(header)) {
            throw new ConfigException("header", "'" + header + "' is not a valid header name");
        } else if (HeaderRules.isHopByHop(header) || HeaderRules.isGatewayInternal(header)
                || header.equalsIgnoreCase("Content-Length") || header.equalsIgnoreCase("Host")) {
            throw new ConfigException("header", "'" + header + "' cannot carry a credential (it is stripped or set by the transport)");
        }
        if (scheme == null) {
            scheme = DEFAULT_SCHEME;
        } else if (!scheme.isEmpty() && !HeaderRules.isToken(scheme)) {
            throw new ConfigException("scheme", "'" + scheme + "' is not a valid scheme (expected e.g. Bearer, or \"\" for the raw value)");
        }
        if (secret == null) {
            throw new ConfigException("secret", "is required (a reference such as env:MODEL_API_KEY or file:/path)");
        }
        if (!HeaderRules.isValidValue(secret.reveal())) {
            throw new ConfigException("secret", "the value of " + secret.reference()
                    + " cannot be sent in a header (it is empty or holds a line break or control character)");
        }
    }

    /** The header value to send. Call only where the request is built. */
    public String headerValue() {
        return scheme.isEmpty() ? secret.reveal() : scheme + " " + secret.reveal();
    }
}
