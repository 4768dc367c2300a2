package io.gatehouse.processors.masking;

import io.gatehouse.spi.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A compiled JSON path of the small subset field rules use: {@code $}, {@code .name}, {@code ['name']},
 * {@code [n]}, {@code [*]}, {@code .*} and the descendant form {@code ..name} / {@code ..*}. Immutable.
 */
final class JsonPath {

    /** One step: a member name, an array index, or any child; {@code descendant} allows any depth before it. */
    private record Segment(String name, int index, boolean any, boolean descendant) {
        boolean matches(Object element) {
            if (any) {
                return true;
            }
            if (name != null) {
                return name.equals(element);
            }
            return element instanceof Integer i && i == index;
        }
    }

    private final String text;
    private final List<Segment> segments;

    private JsonPath(String text, List<Segment> segments) {
        this.text = text;
        this.segments = segments;
    }

    static JsonPath compile(String text) {
        if (!text.startsWith("$")) {
            throw invalid(text, "it does not start with $");
        }
        List<Segment> segments = new ArrayList<>();
        int i = 1;
        boolean pendingDescendant = false;
        while (i < text.length()) {
            boolean descendant = false;
            char c = text.charAt(i);
            if (c == '.') {
                if (text.startsWith("..", i)) {
                    descendant = true;
                    i += 2;
                } else {
                    i++;
                }
                if (i < text.length() && text.charAt(i) == '[') {
                    if (!descendant) {
                        throw invalid(text, "'.' is followed by '[' at index " + i);
                    }
                    pendingDescendant = true;
                    continue;
                }
                if (i < text.length() && text.charAt(i) == '*') {
                    segments.add(new Segment(null, -1, true, descendant));
                    i++;
                    continue;
                }
                int start = i;
                while (i < text.length() && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '_'
                        || text.charAt(i) == '-')) {
                    i++;
                }
                if (i == start) {
                    throw invalid(text, "a name is expected at index " + start);
                }
                segments.add(new Segment(text.substring(start, i), -1, false, descendant));
            } else if (c == '[') {
                boolean desc = pendingDescendant;
                pendingDescendant = false;
                int close = text.indexOf(']', i);
                if (close < 0) {
                    throw invalid(text, "'[' at index " + i + " is not closed");
                }
                String inner = text.substring(i + 1, close).trim();
                if (inner.equals("*")) {
                    segments.add(new Segment(null, -1, true, desc));
                } else if (inner.length() >= 2 && (inner.startsWith("'") && inner.endsWith("'")
                        || inner.startsWith("\"") && inner.endsWith("\""))) {
                    segments.add(new Segment(inner.substring(1, inner.length() - 1), -1, false, desc));
                } else if (inner.matches("\\d{1,9}")) {
                    segments.add(new Segment(null, Integer.parseInt(inner), false, desc));
                } else {
                    throw invalid(text, "'[" + inner + "]' is neither [*], [n] nor ['name']");
                }
                i = close + 1;
            } else {
                throw invalid(text, "unexpected '" + c + "' at index " + i);
            }
        }
        if (segments.isEmpty()) {
            throw invalid(text, "it names no field");
        }
        return new JsonPath(text, List.copyOf(segments));
    }

    private static ConfigException invalid(String text, String why) {
        return new ConfigException("path", "'" + text + "' is not a supported path: " + why
                + " (expected e.g. $.data[*].ssn, $..email, $['a b'][0])");
    }

    /** True when the path of a value (member names and array indexes from the root) matches. */
    boolean matches(List<Object> path) {
        return matches(0, path, 0);
    }

    private boolean matches(int s, List<Object> path, int p) {
        if (s == segments.size()) {
            return p == path.size();
        }
        if (p == path.size()) {
            return false;
        }
        Segment segment = segments.get(s);
        if (segment.matches(path.get(p)) && matches(s + 1, path, p + 1)) {
            return true;
        }
        return segment.descendant() && matches(s, path, p + 1);
    }

    /** The last member name upper-cased ({@code ssn} → {@code SSN}), or {@code FIELD}. */
    String defaultLabel() {
        for (int i = segments.size() - 1; i >= 0; i--) {
            String name = segments.get(i).name();
            if (name != null && !name.isBlank()) {
                return name.toUpperCase(Locale.ROOT).replace('-', '_').replace(' ', '_');
            }
        }
        return "FIELD";
    }

    @Override
    public String toString() {
        return text;
    }
}
