package io.gatehouse.plugins.headerstamp;

import io.gatehouse.spi.ConfigException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Config of the {@code header-stamp} step.
 *
 * <pre>{@code
 * - header-stamp: { name: X-Served-By, value: gatehouse }
 * }</pre>
 *
 * @param name  the response header to set: an HTTP token (RFC 9110), not a hop-by-hop or framing header
 * @param value its value: visible ASCII, spaces and tabs; no line breaks
 */
public record HeaderStampConfig(String name, String value) {

    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern FIELD_VALUE = Pattern.compile("[\\x21-\\x7E]([\\x20-\\x7E\\t]*[\\x21-\\x7E])?");
    /** Hop-by-hop headers (RFC 9110 §7.6.1) and the framing headers the gateway computes itself. */
    private static final Set<String> REFUSED = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
            "content-length");

    public HeaderStampConfig {
        if (name == null || name.isEmpty()) {
            throw new ConfigException("name", "is required: the response header to set, e.g. X-Served-By");
        }
        if (!TOKEN.matcher(name).matches()) {
            throw new ConfigException("name", "'" + name + "' is not a header name (expected: letters, digits and"
                    + " !#$%&'*+.^_`|~- only)");
        }
        if (REFUSED.contains(name.toLowerCase(Locale.ROOT))) {
            throw new ConfigException("name", "'" + name + "' is a hop-by-hop or framing header that the gateway"
                    + " manages itself (expected: an end-to-end header such as X-Served-By)");
        }
        if (value == null || value.isEmpty()) {
            throw new ConfigException("value", "is required: the value of the " + name + " header");
        }
        if (!FIELD_VALUE.matcher(value).matches()) {
            throw new ConfigException("value", "must be visible ASCII with inner spaces or tabs only, and no line"
                    + " breaks");
        }
    }
}
