package io.gatehouse.processors.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSON Pointer (RFC 6901) naming fields to hide, where a {@code *} token stands for every element of
 * an array (or every member of an object): {@code /usage}, {@code /choices/*}{@code /logprobs},
 * {@code /data/*}{@code /embedding}. Removing is a no-op where the path does not exist. Immutable.
 */
final class FieldPointer {

    private final String text;
    private final List<String> tokens;

    private FieldPointer(String text, List<String> tokens) {
        this.text = text;
        this.tokens = tokens;
    }

    /**
     * @throws IllegalArgumentException naming what is wrong
     */
    static FieldPointer parse(String text) {
        if (text == null || !text.startsWith("/") || text.length() < 2) {
            throw new IllegalArgumentException("'" + text + "' is not a JSON Pointer to a field (expected e.g. /usage or"
                    + " /choices/*/logprobs)");
        }
        List<String> tokens = new ArrayList<>();
        for (String raw : text.substring(1).split("/", -1)) {
            if (raw.isEmpty()) {
                throw new IllegalArgumentException("'" + text + "' has an empty token (expected e.g. /choices/*/logprobs)");
            }
            tokens.add(raw.replace("~1", "/").replace("~0", "~"));
        }
        return new FieldPointer(text, List.copyOf(tokens));
    }

    /** Removes what the pointer names from {@code node}; returns whether anything was removed. */
    boolean removeFrom(JsonNode node) {
        return remove(node, 0);
    }

    private boolean remove(JsonNode node, int at) {
        String token = tokens.get(at);
        boolean last = at == tokens.size() - 1;
        boolean removed = false;
        if (node instanceof ObjectNode object) {
            if (token.equals("*")) {
                if (last) {
                    removed = object.size() > 0;
                    object.removeAll();
                } else {
                    for (JsonNode child : object) {
                        removed |= remove(child, at + 1);
                    }
                }
            } else if (last) {
                removed = object.remove(token) != null;
            } else if (object.has(token)) {
                removed = remove(object.get(token), at + 1);
            }
        } else if (node instanceof ArrayNode array) {
            if (token.equals("*")) {
                if (last) {
                    removed = array.size() > 0;
                    array.removeAll();
                } else {
                    for (JsonNode child : array) {
                        removed |= remove(child, at + 1);
                    }
                }
            } else {
                int index = index(token);
                if (index >= 0 && index < array.size()) {
                    if (last) {
                        array.remove(index);
                        removed = true;
                    } else {
                        removed = remove(array.get(index), at + 1);
                    }
                }
            }
        }
        return removed;
    }

    private static int index(String token) {
        if (token.isEmpty() || token.length() > 9 || !token.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        return Integer.parseInt(token);
    }

    @Override
    public String toString() {
        return text;
    }
}
