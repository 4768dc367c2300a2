package io.gatehouse.agent;

/**
 * The request target of an ordinary forwarded path, found without parsing a {@link java.net.URI}: a path
 * (and query) made only of characters {@code java.net.URI} takes as they are, with each {@code %}
 * followed by two hex digits, is appended to the service's base path unchanged, which is exactly what
 * parsing it would give. Anything else (a space, a fragment, brackets, a non-ASCII character, a stray
 * {@code %}) returns null so that the caller parses it and keeps its checks and messages. Parsing a URI
 * for every call was 4 % of the agent's CPU under load.
 */
final class PlainTarget {

    /** unreserved, punct and reserved characters of java.net.URI's path and query grammar, minus '[' ']' '#'. */
    private static final boolean[] PLAIN = new boolean[128];

    static {
        String allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'(),;:$&+=/@?";
        for (int i = 0; i < allowed.length(); i++) {
            PLAIN[allowed.charAt(i)] = true;
        }
    }

    private PlainTarget() {
    }

    /**
     * @param basePath the service URL's raw path without a trailing '/' ("" for none)
     * @param path     the forwarded path, already known to start with a single '/'
     * @return {@code basePath + path}, or null when the path needs a full parse
     */
    static String of(String basePath, String path) {
        int n = path.length();
        for (int i = 0; i < n; i++) {
            char c = path.charAt(i);
            if (c == '%') {
                if (i + 2 >= n || !isHex(path.charAt(i + 1)) || !isHex(path.charAt(i + 2))) {
                    return null;
                }
                i += 2;
            } else if (c >= 128 || !PLAIN[c]) {
                return null;
            }
        }
        return basePath.isEmpty() ? path : basePath + path;
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
