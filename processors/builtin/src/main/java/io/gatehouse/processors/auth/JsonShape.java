package io.gatehouse.processors.auth;

import java.util.HashSet;
import java.util.Set;

/**
 * A strict RFC 8259 check of a token's decoded header or payload before any library reads it: one
 * JSON object, nothing after it, no member name twice in one object (RFC 7519 §4 lets a parser pick
 * either; two parsers picking differently is how a verifier and a policy come to disagree), nesting
 * and member count bounded (deep nesting is CVE-2025-53864), no raw control characters in strings.
 * One pass, no recursion beyond the depth limit.
 */
final class JsonShape {

    static final int MAX_DEPTH = 16;
    static final int MAX_MEMBERS = 1024;

    private final String json;
    private final int maxDepth;
    private final int maxMembers;
    private int pos;
    private int members;
    private String problem;

    private JsonShape(String json, int maxDepth, int maxMembers) {
        this.json = json;
        this.maxDepth = maxDepth;
        this.maxMembers = maxMembers;
    }

    /** Null when {@code json} is one well-formed object within the limits, else what is wrong, in a few words. */
    static String problem(String json) {
        return problem(json, MAX_DEPTH, MAX_MEMBERS);
    }

    static String problem(String json, int maxDepth, int maxMembers) {
        JsonShape shape = new JsonShape(json, maxDepth, maxMembers);
        shape.whitespace();
        if (shape.pos >= json.length() || json.charAt(shape.pos) != '{') {
            return "is not a JSON object";
        }
        if (!shape.value(0)) {
            return shape.problem;
        }
        shape.whitespace();
        return shape.pos == json.length() ? null : "has text after the JSON object";
    }

    private boolean fail(String what) {
        if (problem == null) {
            problem = what;
        }
        return false;
    }

    private boolean value(int depth) {
        whitespace();
        if (pos >= json.length()) {
            return fail("ends too early");
        }
        char c = json.charAt(pos);
        return switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> string(null);
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> c == '-' || c >= '0' && c <= '9' ? number() : fail("has an invalid value");
        };
    }

    private boolean object(int depth) {
        if (depth > maxDepth) {
            return fail("is nested deeper than " + maxDepth + " levels");
        }
        pos++; // {
        whitespace();
        if (peek('}')) {
            pos++;
            return true;
        }
        Set<String> names = new HashSet<>();
        while (true) {
            whitespace();
            if (!peek('"')) {
                return fail("has an invalid member name");
            }
            StringBuilder name = new StringBuilder();
            if (!string(name)) {
                return false;
            }
            if (!names.add(name.toString())) {
                return fail("has the member " + AuthRejection.safe(name.toString()) + " twice");
            }
            if (++members > maxMembers) {
                return fail("has more than " + maxMembers + " members");
            }
            whitespace();
            if (!peek(':')) {
                return fail("is not valid JSON");
            }
            pos++;
            if (!value(depth)) {
                return false;
            }
            whitespace();
            if (peek(',')) {
                pos++;
            } else if (peek('}')) {
                pos++;
                return true;
            } else {
                return fail("is not valid JSON");
            }
        }
    }

    private boolean array(int depth) {
        if (depth > maxDepth) {
            return fail("is nested deeper than " + maxDepth + " levels");
        }
        pos++; // [
        whitespace();
        if (peek(']')) {
            pos++;
            return true;
        }
        while (true) {
            if (!value(depth)) {
                return false;
            }
            whitespace();
            if (peek(',')) {
                pos++;
            } else if (peek(']')) {
                pos++;
                return true;
            } else {
                return fail("is not valid JSON");
            }
        }
    }

    /** A string at {@code pos}; its decoded text goes to {@code out} when not null. */
    private boolean string(StringBuilder out) {
        pos++; // opening quote
        while (pos < json.length()) {
            char c = json.charAt(pos++);
            if (c == '"') {
                return true;
            }
            if (c < 0x20) {
                return fail("has a control character in a string");
            }
            if (c != '\\') {
                if (out != null) {
                    out.append(c);
                }
                continue;
            }
            if (pos >= json.length()) {
                break;
            }
            char e = json.charAt(pos++);
            char decoded;
            switch (e) {
                case '"', '\\', '/' -> decoded = e;
                case 'b' -> decoded = '\b';
                case 'f' -> decoded = '\f';
                case 'n' -> decoded = '\n';
                case 'r' -> decoded = '\r';
                case 't' -> decoded = '\t';
                case 'u' -> {
                    if (pos + 4 > json.length()) {
                        return fail("has an invalid escape");
                    }
                    int code = 0;
                    for (int i = 0; i < 4; i++) {
                        int digit = Character.digit(json.charAt(pos++), 16);
                        if (digit < 0) {
                            return fail("has an invalid escape");
                        }
                        code = code * 16 + digit;
                    }
                    decoded = (char) code;
                }
                default -> {
                    return fail("has an invalid escape");
                }
            }
            if (out != null) {
                out.append(decoded);
            }
        }
        return fail("has an unterminated string");
    }

    private boolean number() {
        int start = pos;
        if (peek('-')) {
            pos++;
        }
        if (peek('0')) {
            pos++;
        } else if (!digits()) {
            return fail("has an invalid number");
        }
        if (peek('.')) {
            pos++;
            if (!digits()) {
                return fail("has an invalid number");
            }
        }
        if (peek('e') || peek('E')) {
            pos++;
            if (peek('+') || peek('-')) {
                pos++;
            }
            if (!digits()) {
                return fail("has an invalid number");
            }
        }
        return pos > start;
    }

    private boolean digits() {
        int start = pos;
        while (pos < json.length() && json.charAt(pos) >= '0' && json.charAt(pos) <= '9') {
            pos++;
        }
        return pos > start;
    }

    private boolean literal(String word) {
        if (json.startsWith(word, pos)) {
            pos += word.length();
            return true;
        }
        return fail("has an invalid value");
    }

    private boolean peek(char c) {
        return pos < json.length() && json.charAt(pos) == c;
    }

    private void whitespace() {
        while (pos < json.length()) {
            char c = json.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }
}
