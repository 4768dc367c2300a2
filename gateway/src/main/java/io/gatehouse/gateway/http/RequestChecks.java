package io.gatehouse.gateway.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The rules a request head must follow before the gateway acts on it (RFC 9112), beyond what Netty's
 * decoder enforces. Each rule closes a way for the gateway and a server in front of or behind it to
 * read one byte stream as different requests (request smuggling) or one path as different resources.
 */
final class RequestChecks {

    /** Methods an endpoint route may receive; any other is refused by the listener itself. */
    static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE",
            "CONNECT");

    private RequestChecks() {
    }

    /**
     * The framing rules, checked on the head as received (before Netty drops a {@code Content-Length} beside
     * {@code Transfer-Encoding}).
     *
     * @return why the head is refused, or null
     */
    static Refusal framing(HttpRequest request) {
        HttpHeaders headers = request.headers();
        HttpVersion version = request.protocolVersion();
        if (version.majorVersion() != 1 || version.minorVersion() > 1) {
            return Refusal.badFraming("HTTP version " + version.text() + " is not served on this listener; send"
                    + " HTTP/1.1");
        }
        List<String> te = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!te.isEmpty()) {
            // RFC 9112 §6.1: TE in HTTP/1.0 is faulty framing; both TE and CL must be refused and closed.
            if (version.minorVersion() == 0) {
                return Refusal.badFraming("Transfer-Encoding is not defined in HTTP/1.0; send HTTP/1.1 or a"
                        + " Content-Length");
            }
            if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                return Refusal.badFraming("the request has both Content-Length and Transfer-Encoding; send one of"
                        + " them");
            }
            // The gateway decodes no transfer coding but chunked, and chunked must be the only and final one.
            if (te.size() != 1 || !"chunked".equals(te.get(0))) {
                return Refusal.badFraming("Transfer-Encoding must be exactly 'chunked', got "
                        + quote(String.join(", ", te)));
            }
        }
        List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1) {
            return Refusal.badFraming("the request has " + hosts.size() + " Host headers; send one");
        }
        if (hosts.isEmpty() && version.minorVersion() == 1) {
            return Refusal.badFraming("an HTTP/1.1 request needs a Host header");
        }
        return null;
    }

    /**
     * The request-target rules: origin-form, every character allowed or %-encoded, no dot segments (plain or
     * encoded), no encoded slash, backslash or NUL, no empty segment. A path that a server behind the gateway
     * could normalise differently (and so reach another endpoint's prefix) is refused, not guessed at.
     *
     * @return why the target is refused, or null
     */
    static Refusal target(HttpMethod method, String uri) {
        if ("CONNECT".equals(method.name())) {
            return Refusal.method("CONNECT is not served: this gateway is not a forward proxy");
        }
        if (!uri.startsWith("/")) {
            return Refusal.badTarget("the request target must be a path starting with '/' (origin-form), got "
                    + quote(uri));
        }
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '%') {
                if (i + 2 >= uri.length() || hex(uri.charAt(i + 1)) < 0 || hex(uri.charAt(i + 2)) < 0) {
                    return Refusal.badTarget("the request target has a '%' that is not followed by two hex digits"
                            + " at position " + i + "; encode a literal '%' as %25");
                }
                continue;
            }
            if (i == query) {
                continue; // the '?' that starts the query
            }
            if (!allowed(c, i > query && query >= 0)) {
                return Refusal.badTarget("the request target has the character " + describe(c) + " at position " + i
                        + ", which must be %-encoded");
            }
        }
        String[] segments = path.split("/", -1);
        for (int i = 1; i < segments.length; i++) {
            String raw = segments[i];
            String lower = raw.toLowerCase(Locale.ROOT);
            if (lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00")) {
                return Refusal.badTarget("the path has an encoded '/', '\\' or NUL in segment " + quote(raw)
                        + "; these are ambiguous behind a gateway");
            }
            String decoded = lower.replace("%2e", ".");
            if (decoded.equals(".") || decoded.equals("..")) {
                return Refusal.badTarget("the path has a dot segment " + quote(raw) + "; send the resolved path");
            }
            if (raw.isEmpty() && i < segments.length - 1) {
                return Refusal.badTarget("the path has an empty segment ('//'); send the path with single slashes");
            }
        }
        if (!METHODS.contains(method.name())) {
            return Refusal.method("method " + method.name() + " is not served; use one of GET, HEAD, POST, PUT,"
                    + " DELETE, PATCH or OPTIONS");
        }
        if ("TRACE".equals(method.name())) {
            return Refusal.method("TRACE is not served: it would echo the request's credentials back");
        }
        return null;
    }

    /** RFC 3986 pchar plus '/', and '?' in the query. */
    private static boolean allowed(char c, boolean inQuery) {
        if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
            return true;
        }
        return switch (c) {
            case '-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@', '/' -> true;
            case '?' -> inQuery;
            default -> false;
        };
    }

    /** The target with every character {@link #allowed} refuses %-encoded (a stray '%' too), safe to route and log. */
    static String sanitise(String uri) {
        StringBuilder out = new StringBuilder(uri.length() + 8);
        int query = uri.indexOf('?');
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            boolean escape = c == '%' ? i + 2 >= uri.length() || hex(uri.charAt(i + 1)) < 0 || hex(uri.charAt(i + 2)) < 0
                    : !allowed(c, query >= 0 && i > query) && !(i == query);
            if (!escape) {
                out.append(c);
            } else if (c > 0xFF) {
                out.append("%3F");
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return out.length() == 0 || out.charAt(0) != '/' ? "/" + out : out.toString();
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }

    private static String describe(char c) {
        return c < 0x20 || c == 0x7F || c > 0x7E ? String.format("U+%04X", (int) c) : "'" + c + "'";
    }

    static String quote(String text) {
        StringBuilder b = new StringBuilder("'");
        int n = Math.min(text.length(), 80);
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            b.append(c < 0x20 || c == 0x7F || c > 0x7E ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return b.append(text.length() > n ? "…'" : "'").toString();
    }
}
