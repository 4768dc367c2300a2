package io.gatehouse.processors.recording;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.gatehouse.spi.ConfigException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Replaces the values at configured JSON Pointers with {@code "[redacted]"}. Pointers are parsed at
 * load; a {@code *} segment matches every element of an array or every field of an object.
 */
final class JsonRedactor {

    static final TextNode REDACTED = TextNode.valueOf("[redacted]");

    private final List<List<String>> pointers;

    JsonRedactor(List<String> pointers) {
        this.pointers = pointers.stream().map(JsonRedactor::parse).toList();
    }

    boolean isEmpty() {
        return pointers.isEmpty();
    }

    /** The pointer's reference tokens (RFC 6901: {@code ~1} is {@code /}, {@code ~0} is {@code ~}). */
    static List<String> parse(String pointer) {
        if (pointer == null || pointer.isEmpty() || !pointer.startsWith("/")) {
            throw new ConfigException("redactJsonFields", "'" + pointer + "' is not a JSON Pointer (expected e.g."
                    + " /api_key or /messages/*/content)");
        }
        List<String> tokens = new ArrayList<>();
        for (String raw : pointer.substring(1).split("/", -1)) {
            if (raw.matches(".*~(?![01]).*")) {
                throw new ConfigException("redactJsonFields", "'" + pointer + "' has a '~' not followed by 0 or 1");
            }
            tokens.add(raw.replace("~1", "/").replace("~0", "~"));
        }
        return List.copyOf(tokens);
    }

    /** Redacts in place; returns how many values were replaced. */
    int redact(JsonNode root) {
        int count = 0;
        for (List<String> pointer : pointers) {
            count += redact(root, pointer, 0);
        }
        return count;
    }

    private static int redact(JsonNode node, List<String> pointer, int depth) {
        String token = pointer.get(depth);
        boolean last = depth == pointer.size() - 1;
        int count = 0;
        if (node instanceof ObjectNode object) {
            List<String> names = new ArrayList<>();
            if (token.equals("*")) {
                for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
                    names.add(it.next().getKey());
                }
            } else if (object.has(token)) {
                names.add(token);
            }
            for (String name : names) {
                if (last) {
                    if (!REDACTED.equals(object.get(name))) {
                        object.set(name, REDACTED);
                        count++;
                    }
                } else {
                    count += redact(object.get(name), pointer, depth + 1);
                }
            }
        } else if (node instanceof ArrayNode array) {
            List<Integer> indexes = new ArrayList<>();
            if (token.equals("*")) {
                for (int i = 0; i < array.size(); i++) {
                    indexes.add(i);
                }
            } else if (token.matches("0|[1-9][0-9]{0,8}") && Integer.parseInt(token) < array.size()) {
                indexes.add(Integer.parseInt(token));
            }
            for (int i : indexes) {
                if (last) {
                    if (!REDACTED.equals(array.get(i))) {
                        array.set(i, REDACTED);
                        count++;
                    }
                } else {
                    count += redact(array.get(i), pointer, depth + 1);
                }
            }
        }
        return count;
    }
}
