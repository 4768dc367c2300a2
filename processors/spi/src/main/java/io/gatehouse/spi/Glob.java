package io.gatehouse.spi;

import java.util.regex.Pattern;

/**
 * A name or path pattern: {@code *} matches any run of characters except {@code /}, {@code **} any run
 * including {@code /}, {@code ?} one character except {@code /}; everything else is literal. A pattern
 * without wildcards is compared as text. Immutable. The one meaning of a model or path pattern in the
 * gateway's config: policy rules and gRPC endpoints' {@code models} both use it, and plugins may too.
 */
public final class Glob {

    private final String text;
    private final String literal;
    private final String prefix;
    private final Pattern regex;

    private Glob(String text) {
        this.text = text;
        int star = text.indexOf('*');
        if (star < 0 && text.indexOf('?') < 0) {
            this.literal = text;
            this.prefix = null;
            this.regex = null;
        } else if (star == text.length() - 1 && text.indexOf('?') < 0) {
            this.literal = null;
            this.prefix = text.substring(0, star);
            this.regex = null;
        } else {
            this.literal = null;
            this.prefix = null;
            this.regex = Pattern.compile(toRegex(text));
        }
    }

    public static Glob of(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("a pattern must not be empty");
        }
        return new Glob(text);
    }

    public boolean matches(String value) {
        if (value == null) {
            return false;
        }
        if (literal != null) {
            return literal.equals(value);
        }
        if (prefix != null) {
            return value.startsWith(prefix) && value.indexOf('/', prefix.length()) < 0;
        }
        return regex.matcher(value).matches();
    }

    public boolean isLiteral() {
        return literal != null;
    }

    /** The text before the only wildcard of {@code prefix*}; null for any other pattern. */
    public String prefix() {
        return prefix;
    }

    @Override
    public String toString() {
        return text;
    }

    private static String toRegex(String glob) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                    b.append(".*");
                    i++;
                } else {
                    b.append("[^/]*");
                }
            } else if (c == '?') {
                b.append("[^/]");
            } else {
                b.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return b.toString();
    }
}
