package io.gatehouse.agent;

import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Secret;

/**
 * The credential the agent injects into every request to a service:
 * {@code <header>: <scheme> <secret>}, or {@code <header>: <secret>} when the scheme is empty.
 *
 * @param header header name; default {@code Authorization}
 * @param scheme scheme before the value; default {@code Bearer}; {@code ""} sends the raw value
 * @param secret  the value, {@code env:NAME} or {@code file:PATH}; a {@code file:} secret is read again when the
 *                file changes (a rotation takes effect from the next call). {@link #toString()} shows only its
 *                reference.
 * @param command instead of {@code secret}: a program and its arguments that print the secret on standard
 *                output, run at start and every {@code refresh} (e.g. {@code [vault, kv, get, -field=key, ...]})
 * @param refresh how often {@code command} runs; default 5m
 */
public record CredentialConfig(String header, String scheme, Secret secret, java.util.List<String> command,
                               java.time.Duration refresh) {

    public static final java.time.Duration DEFAULT_REFRESH = java.time.Duration.ofMinutes(5);

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
        if (command != null && secret != null) {
            throw new ConfigException("command", "cannot be used with 'secret': choose one source of the credential");
        }
        if (command != null) {
            if (command.isEmpty() || command.get(0) == null || command.get(0).isBlank()) {
                throw new ConfigException("command", "must name a program, e.g. [vault, kv, get, -field=key, secret/model]");
            }
            command = java.util.List.copyOf(command);
        } else if (secret == null) {
            throw new ConfigException("secret", "is required (a reference such as env:MODEL_API_KEY or file:/path),"
                    + " or a command that prints it");
        }
        if (refresh == null) {
            refresh = DEFAULT_REFRESH;
        } else if (refresh.compareTo(java.time.Duration.ofSeconds(1)) < 0) {
            throw new ConfigException("refresh", "must be at least 1s, got " + refresh);
        } else if (command == null) {
            throw new ConfigException("refresh", "is for 'command' only (a file: secret is re-read when it changes)");
        }
        if (secret != null && !HeaderRules.isValidValue(secret.reveal())) {
            throw new ConfigException("secret", "the value of " + secret.reference()
                    + " cannot be sent in a header (it is empty or holds a line break or control character)");
        }
    }

    /** A credential read from a secret reference. */
    public CredentialConfig(String header, String scheme, Secret secret) {
        this(header, scheme, secret, null, null);
    }

    /** The header value to send, from the secret as configured. Call only where the request is built. */
    public String headerValue() {
        return headerValue(secret.reveal());
    }

    /** The header value to send for the secret's current {@code value}. Call only where the request is built. */
    public String headerValue(String value) {
        return scheme.isEmpty() ? value : scheme + " " + value;
    }
}
