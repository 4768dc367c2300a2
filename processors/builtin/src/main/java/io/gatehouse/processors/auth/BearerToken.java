package io.gatehouse.processors.auth;

import io.gatehouse.spi.GatewayRequest;
import java.util.List;
import java.util.regex.Pattern;

/** Takes the bearer token from {@code Authorization: Bearer <token>}, the only place one is accepted. */
final class BearerToken {

    /** RFC 6750 b64token. */
    /** RFC 9110 token, for naming a scheme we do not accept. */
    private static final Pattern SCHEME = Pattern.compile("[A-Za-z0-9!#$%&*+.^_|~-]{1,20}");

    private BearerToken() {
    }

    /**
     * @param maxTokenBytes header values are ISO-8859-1 on the wire, one byte per character
     * @throws AuthRejection when there is no usable token
     */
    static String extract(GatewayRequest request, long maxTokenBytes) throws AuthRejection {
        if (hasAccessTokenParameter(request.query())) {
            throw AuthRejection.invalidRequest("token-in-url", "tokens in the URL (access_token query parameter)"
                    + " are not accepted, as URLs end up in logs; " + AuthRejection.SEND_BEARER + " instead");
        }
        List<String> values = request.headers().all("Authorization");
        if (values.isEmpty()) {
            throw AuthRejection.missingToken("this endpoint requires a bearer token; " + AuthRejection.SEND_BEARER);
        }
        if (values.size() > 1) {
            throw AuthRejection.invalidRequest("multiple-credentials", "the request carries " + values.size()
                    + " Authorization headers; send exactly one: Authorization: Bearer <access token>");
        }
        String value = values.get(0).trim();
        int space = value.indexOf(' ');
        String scheme = space < 0 ? value : value.substring(0, space);
        if (scheme.isEmpty()) {
            throw AuthRejection.missingToken("the Authorization header is empty; " + AuthRejection.SEND_BEARER);
        }
        if (!scheme.equalsIgnoreCase("Bearer")) {
            String named = SCHEME.matcher(scheme).matches() ? "the " + scheme + " scheme" : "an unknown scheme";
            throw AuthRejection.missingToken("the Authorization header uses " + named
                    + "; this endpoint accepts only bearer tokens: " + AuthRejection.SEND_BEARER);
        }
        String token = space < 0 ? "" : value.substring(space + 1).trim();
        if (token.isEmpty()) {
            throw AuthRejection.invalidToken("malformed",
                    "the Authorization header has the Bearer scheme but no token; " + AuthRejection.SEND_BEARER);
        }
        if (token.length() > maxTokenBytes) {
            throw AuthRejection.invalidToken("too-large", "the token is " + token.length()
                    + " bytes; at most " + maxTokenBytes + " bytes are accepted (identity.maxTokenBytes)");
        }
        if (!isB64Token(token)) {
            throw CompactJws.malformed("it has characters a bearer token cannot have");
        }
        return token;
    }

    private static boolean hasAccessTokenParameter(String query) {
        if (query == null || query.isEmpty()) {
            return false;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if ((eq < 0 ? pair : pair.substring(0, eq)).equals("access_token")) {
                return true;
            }
        }
        return false;
    }

    /**
     * RFC 6750's {@code b64token}: {@code 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="}.
     * A loop rather than a regex: it runs on every request over a token of a kilobyte or more.
     */
    static boolean isB64Token(String token) {
        int i = 0;
        int n = token.length();
        while (i < n && isTokenChar(token.charAt(i))) {
            i++;
        }
        if (i == 0) {
            return false;
        }
        while (i < n && token.charAt(i) == '=') {
            i++;
        }
        return i == n;
    }

    /** RFC 6750 b64token characters, as a table: every request's token (hundreds of chars) is checked. */
    private static final boolean[] TOKEN_CHARS = new boolean[128];

    static {
        for (char c = 0; c < 128; c++) {
            TOKEN_CHARS[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
        }
    }

    private static boolean isTokenChar(char c) {
        return c < 128 && TOKEN_CHARS[c];
    }
}
