package io.gatehouse.config;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** A small pretty-printing JSON writer for maps, lists, strings, numbers, booleans and null. */
final class Json {

    private Json() {
    }

    /** Two-space indented JSON, ending with a newline. */
    static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out, "");
        return out.append('\n').toString();
    }

    private static void write(Object value, StringBuilder out, String indent) {
        if (value == null || value instanceof Boolean || value instanceof Integer || value instanceof Long) {
            out.append(value);
        } else if (value instanceof String s) {
            string(s, out);
        } else if (value instanceof Map<?, ?> map) {
            container(map.entrySet().iterator(), '{', '}', out, indent, (entry, o) -> {
                Map.Entry<?, ?> e = (Map.Entry<?, ?>) entry;
                string(String.valueOf(e.getKey()), o);
                o.append(": ");
                return e.getValue();
            });
        } else if (value instanceof List<?> list) {
            container(list.iterator(), '[', ']', out, indent, (item, o) -> item);
        } else {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
        }
    }

    private interface Element {
        /** Writes any key, returns the value to write. */
        Object prefix(Object element, StringBuilder out);
    }

    private static void container(Iterator<?> elements, char open, char close, StringBuilder out, String indent,
                                  Element element) {
        out.append(open);
        if (!elements.hasNext()) {
            out.append(close);
            return;
        }
        String inner = indent + "  ";
        while (elements.hasNext()) {
            out.append('\n').append(inner);
            write(element.prefix(elements.next(), out), out, inner);
            if (elements.hasNext()) {
                out.append(',');
            }
        }
        out.append('\n').append(indent).append(close);
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
