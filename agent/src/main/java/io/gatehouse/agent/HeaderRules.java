package io.gatehouse.agent;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which headers cross the agent. Requests lose the caller's {@code Authorization}, every
 * gateway-internal {@code Gatehouse-*} header and the hop-by-hop headers (plus {@code Host},
 * {@code Content-Length} and {@code Expect}, which the HTTP client sets itself); responses lose the
 * hop-by-hop headers. Header names listed in a {@code Connection} header are hop-by-hop too.
 */
public final class HeaderRules {

    private static final Set<String> HOP_BY_HOP = Set.of(
            "connection", "keep-alive", "te", "trailer", "trailers", "transfer-encoding", "upgrade",
            "proxy-connection");
    private static final Set<String> REQUEST_ONLY = Set.of("authorization", "host", "content-length", "expect");
    private static final String TCHAR = "!#$%&'*+-.^_`|~";

    private HeaderRules() {
    }

    /** Connection, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade. */
    public static boolean isHopByHop(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return HOP_BY_HOP.contains(n) || n.startsWith("proxy-");
    }

    /** {@code Gatehouse-*}: the gateway's own namespace. */
    public static boolean isGatewayInternal(String name) {
        return name.toLowerCase(Locale.ROOT).startsWith("gatehouse-");
    }

    /** True when a request header must not reach the model server as the caller sent it. */
    public static boolean isStrippedFromRequest(String name) {
        return isHopByHop(name) || isGatewayInternal(name) || REQUEST_ONLY.contains(name.toLowerCase(Locale.ROOT))
                || name.startsWith(":");
    }

    /** True when a response header must not be passed back to the gateway. */
    public static boolean isStrippedFromResponse(String name) {
        return isHopByHop(name) || name.startsWith(":");
    }

    /** The lower-cased header names a {@code Connection} header value declares hop-by-hop. */
    public static Set<String> connectionTokens(Iterable<String> connectionValues) {
        Set<String> tokens = new TreeSet<>();
        for (String value : connectionValues) {
            for (String token : value.split(",")) {
                String t = token.trim().toLowerCase(Locale.ROOT);
                if (!t.isEmpty()) {
                    tokens.add(t);
                }
            }
        }
        return tokens;
    }

    /** An RFC 9110 token: a valid header name or auth scheme. */
    public static boolean isToken(String s) {
        if (s == null || s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || TCHAR.indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** A non-empty header value without control characters (no CR/LF injection). */
    public static boolean isValidValue(String s) {
        if (s == null || s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return false;
            }
        }
        return true;
    }
}
