package io.gatehouse.samplemodel;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) reader and writer, so the sample model needs nothing but the JDK.
 *
 * <p>Reading maps objects to {@link LinkedHashMap} (member order kept), arrays to {@link ArrayList},
 * strings to {@link String}, {@code true}/{@code false} to {@link Boolean}, {@code null} to {@code null},
 * integers to {@link Long} (or {@link BigInteger} beyond the long range) and other numbers to
 * {@link Double}. It rejects everything RFC 8259 rejects (trailing commas, leading zeros, single
 * quotes, raw control characters in strings, trailing content) and, beyond the RFC, duplicate object
 * keys and nesting deeper than {@link #MAX_DEPTH}.
 *
 * <p>Writing accepts the same types (any {@link Map} with string keys, any {@link Iterable}, any
 * {@link Number}) and produces compact JSON with non-ASCII characters kept as UTF-16 text; control
 * characters, U+2028, U+2029 and unpaired surrogates are escaped as {@code \\uXXXX}.
 */
public final class Json {

    /** Deepest nesting of arrays and objects accepted by {@link #parse}; deeper input is an error, not a stack overflow. */
    public static final int MAX_DEPTH = 256;

    private Json() {
    }

    /** Parses one JSON value that must span the whole text (surrounding whitespace allowed). */
    public static Object parse(String text) {
        Parser parser = new Parser(text);
        parser.skipWhitespace();
        Object value = parser.readValue(0);
        parser.skipWhitespace();
        if (parser.pos < text.length()) {
            throw new JsonException("Unexpected content after the JSON value", parser.pos);
        }
        return value;
    }

    /** Writes a value as compact JSON. */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        writeValue(out, value);
        return out.toString();
    }

    /** An ordered object from alternating keys and values: {@code object("a", 1, "b", List.of())}. */
    public static Map<String, Object> object(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("object() needs key/value pairs, got " + keysAndValues.length + " arguments");
        }
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    private static void writeValue(StringBuilder out, Object value) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String s) {
            writeString(out, s);
        } else if (value instanceof Boolean b) {
            out.append(b.booleanValue());
        } else if (value instanceof Number n) {
            writeNumber(out, n);
        } else if (value instanceof Map<?, ?> map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!(entry.getKey() instanceof String key)) {
                    throw new IllegalArgumentException("JSON object keys must be strings, got " + describe(entry.getKey()));
                }
                if (!first) {
                    out.append(',');
                }
                first = false;
                writeString(out, key);
                out.append(':');
                writeValue(out, entry.getValue());
            }
            out.append('}');
        } else if (value instanceof Iterable<?> items) {
            out.append('[');
            boolean first = true;
            for (Object item : items) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                writeValue(out, item);
            }
            out.append(']');
        } else {
            throw new IllegalArgumentException("Cannot write " + describe(value) + " as JSON");
        }
    }

    private static void writeNumber(StringBuilder out, Number n) {
        if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new IllegalArgumentException("JSON has no representation for " + n);
            }
            // Float.toString keeps a float's short form (0.1f stays 0.1, not 0.10000000149011612).
            out.append(n instanceof Float f ? Float.toString(f) : Double.toString(d));
        } else if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte
                || n instanceof BigInteger || n instanceof BigDecimal) {
            out.append(n);
        } else {
            throw new IllegalArgumentException("Cannot write " + describe(n) + " as JSON");
        }
    }

    private static void writeString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        appendEscape(out, c);
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        out.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        appendEscape(out, c); // unpaired: raw it would not survive UTF-8 encoding
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void appendEscape(StringBuilder out, char c) {
        out.append("\\u");
        String hex = Integer.toHexString(c);
        out.append("0".repeat(4 - hex.length())).append(hex);
    }

    private static String describe(Object value) {
        return value == null ? "null" : value.getClass().getName();
    }

    private static final class Parser {
        private final String text;
        private int pos;

        Parser(String text) {
            this.text = text;
        }

        Object readValue(int depth) {
            if (pos >= text.length()) {
                throw new JsonException("Unexpected end of input, expected a value", pos);
            }
            char c = text.charAt(pos);
            return switch (c) {
                case '{' -> readObject(depth + 1);
                case '[' -> readArray(depth + 1);
                case '"' -> readString();
                case 't' -> readLiteral("true", Boolean.TRUE);
                case 'f' -> readLiteral("false", Boolean.FALSE);
                case 'n' -> readLiteral("null", null);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        yield readNumber();
                    }
                    throw unexpected("a value");
                }
            };
        }

        private Map<String, Object> readObject(int depth) {
            checkDepth(depth);
            pos++; // '{'
            Map<String, Object> map = new LinkedHashMap<>();
            skipWhitespace();
            if (peek() == '}') {
                pos++;
                return map;
            }
            while (true) {
                skipWhitespace();
                if (peek() != '"') {
                    throw unexpected("a string key");
                }
                int keyOffset = pos;
                String key = readString();
                if (map.containsKey(key)) {
                    throw new JsonException("Duplicate key \"" + key + "\"", keyOffset);
                }
                skipWhitespace();
                expect(':');
                skipWhitespace();
                map.put(key, readValue(depth));
                skipWhitespace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() == '}') {
                    pos++;
                    return map;
                } else {
                    throw unexpected("',' or '}'");
                }
            }
        }

        private List<Object> readArray(int depth) {
            checkDepth(depth);
            pos++; // '['
            List<Object> list = new ArrayList<>();
            skipWhitespace();
            if (peek() == ']') {
                pos++;
                return list;
            }
            while (true) {
                skipWhitespace();
                list.add(readValue(depth));
                skipWhitespace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() == ']') {
                    pos++;
                    return list;
                } else {
                    throw unexpected("',' or ']'");
                }
            }
        }

        private String readString() {
            pos++; // opening quote
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (pos >= text.length()) {
                    throw new JsonException("Unterminated string", pos);
                }
                char c = text.charAt(pos);
                if (c == '"') {
                    pos++;
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw new JsonException(String.format("Unescaped control character U+%04X in string", (int) c), pos);
                }
                if (c != '\\') {
                    sb.append(c);
                    pos++;
                    continue;
                }
                if (pos + 1 >= text.length()) {
                    throw new JsonException("Unterminated string", pos + 1);
                }
                char e = text.charAt(pos + 1);
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        sb.append(readHex4(pos + 2));
                        pos += 4;
                    }
                    default -> throw new JsonException("Invalid escape '\\" + e + "'", pos);
                }
                pos += 2;
            }
        }

        private char readHex4(int start) {
            int value = 0;
            for (int i = start; i < start + 4; i++) {
                int digit = i < text.length() ? Character.digit(text.charAt(i), 16) : -1;
                if (digit < 0) {
                    throw new JsonException("Invalid \\u escape: expected 4 hex digits", start - 2);
                }
                value = value * 16 + digit;
            }
            return (char) value;
        }

        private Object readNumber() {
            int start = pos;
            if (peek() == '-') {
                pos++;
            }
            if (peek() == '0') {
                pos++;
                if (isDigit(peek())) {
                    throw new JsonException("Leading zeros are not allowed in numbers", start);
                }
            } else if (isDigit(peek())) {
                skipDigits();
            } else {
                throw unexpected("a digit");
            }
            boolean integral = true;
            if (peek() == '.') {
                integral = false;
                pos++;
                if (!isDigit(peek())) {
                    throw unexpected("a digit after the decimal point");
                }
                skipDigits();
            }
            if (peek() == 'e' || peek() == 'E') {
                integral = false;
                pos++;
                if (peek() == '+' || peek() == '-') {
                    pos++;
                }
                if (!isDigit(peek())) {
                    throw unexpected("a digit in the exponent");
                }
                skipDigits();
            }
            String literal = text.substring(start, pos);
            if (integral) {
                BigInteger big = new BigInteger(literal);
                return big.bitLength() < 64 ? (Object) big.longValue() : big;
            }
            double d = Double.parseDouble(literal);
            if (Double.isInfinite(d)) {
                throw new JsonException("Number out of range", start);
            }
            return d;
        }

        private Object readLiteral(String word, Object value) {
            if (!text.startsWith(word, pos)) {
                throw unexpected("a value");
            }
            pos += word.length();
            return value;
        }

        void skipWhitespace() {
            while (pos < text.length()) {
                char c = text.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                pos++;
            }
        }

        private void skipDigits() {
            while (isDigit(peek())) {
                pos++;
            }
        }

        private void expect(char c) {
            if (peek() != c) {
                throw unexpected("'" + c + "'");
            }
            pos++;
        }

        private void checkDepth(int depth) {
            if (depth > MAX_DEPTH) {
                throw new JsonException("Nesting deeper than " + MAX_DEPTH + " levels", pos);
            }
        }

        /** The current char, or 0 at the end (0 never matches anything the grammar looks for here). */
        private char peek() {
            return pos < text.length() ? text.charAt(pos) : 0;
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private JsonException unexpected(String expected) {
            if (pos >= text.length()) {
                return new JsonException("Unexpected end of input, expected " + expected, pos);
            }
            char c = text.charAt(pos);
            String shown = c < 0x20 || Character.isSurrogate(c) ? String.format("U+%04X", (int) c) : "'" + c + "'";
            return new JsonException("Unexpected character " + shown + ", expected " + expected, pos);
        }
    }
}
