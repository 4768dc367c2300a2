package io.gatehouse.processors.masking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Masks a JSON tree in place: every string value is scanned (object keys and the structure are left as
 * they are), field rules mask whole values by path, and the protocol's structural strings (ids, model
 * names, roles) are left alone. On responses, per-token {@code logprobs} are removed (they would spell out
 * the unmasked text token by token) and Ollama's {@code context} token ids are dropped for the same reason.
 * Immutable; one walk at a time per {@link Scanner.Context}.
 */
final class JsonMasker {

    private static final Map<MaskingProtocol, Set<String>> STRUCTURE = Map.of(
            MaskingProtocol.OPENAI, Set.of("id", "object", "model", "role", "finish_reason", "system_fingerprint",
                    "service_tier", "type", "tool_call_id"),
            MaskingProtocol.OLLAMA, Set.of("model", "created_at", "done_reason", "role"),
            MaskingProtocol.KSERVE_V2, Set.of("id", "model_name", "model_version", "name", "datatype"),
            MaskingProtocol.GENERIC, Set.of());

    private final Masker masker;
    private final MaskingProtocol protocol;
    private final boolean response;
    private final Set<String> structure;

    JsonMasker(Masker masker, MaskingProtocol protocol, boolean response) {
        this.masker = masker;
        this.protocol = protocol;
        this.response = response;
        this.structure = STRUCTURE.get(protocol);
    }

    /** One walk's state. */
    private record Work(Scanner.Context scan, MaskingCounts counts, Set<JsonNode> handled, boolean[] changed,
                        List<Object> path, boolean[] drop) {
    }

    /**
     * Masks {@code root}.
     *
     * @param handled nodes already masked (stream channels), skipped by identity; may be null
     * @param changed set to true when anything was replaced or removed
     * @return the root, or its replacement when the root itself was a masked string
     */
    JsonNode mask(JsonNode root, Scanner.Context scan, MaskingCounts counts, Set<JsonNode> handled, boolean[] changed) {
        Work w = new Work(scan, counts, handled, changed, new ArrayList<>(), new boolean[1]);
        JsonNode result = visit(root, null, false, w);
        return result == null ? TextNode.valueOf("[REDACTED]") : result;
    }

    /** The node to keep in place: the same, a replacement, or null to remove the member. */
    private JsonNode visit(JsonNode node, String key, boolean member, Work w) {
        if (w.handled != null && w.handled.contains(node)) {
            return node;
        }
        if (!masker.fieldRules().isEmpty() && !w.path.isEmpty()) {
            for (Masker.FieldMatcher rule : masker.fieldRules()) {
                if (rule.path().matches(w.path)) {
                    w.counts.add(rule.id());
                    w.changed[0] = true;
                    if (rule.strategy() == Strategy.DROP_FIELD) {
                        return member ? null : TextNode.valueOf("[" + rule.label() + "]");
                    }
                    String text = node.isValueNode() ? node.asText() : Json.writeString(node);
                    return TextNode.valueOf(masker.replacements().replace(rule.strategy(), rule.label(), rule.id(),
                            text, text, false));
                }
            }
        }
        if (response && key != null && node.isContainerNode()) {
            if (key.equals("logprobs") && (protocol == MaskingProtocol.OPENAI || protocol == MaskingProtocol.OLLAMA)) {
                w.changed[0] = true;
                return NullNode.getInstance();
            }
            if (key.equals("context") && protocol == MaskingProtocol.OLLAMA && member) {
                w.changed[0] = true;
                return null;
            }
        }
        if (node.isTextual()) {
            if (key != null && structure.contains(key)) {
                return node;
            }
            String text = node.textValue();
            w.drop[0] = false;
            String masked = masker.maskWhole(text, w.scan, w.counts, w.drop);
            if (w.drop[0] && member) {
                w.changed[0] = true;
                return null;
            }
            if (masked != text) {
                w.changed[0] = true;
                return TextNode.valueOf(masked);
            }
            return node;
        }
        if (node instanceof ObjectNode object) {
            walkObject(object, w);
        } else if (node instanceof ArrayNode array) {
            walkArray(array, w);
        }
        return node;
    }

    private void walkObject(ObjectNode object, Work w) {
        List<String> names = new ArrayList<>(object.size());
        object.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            JsonNode child = object.get(name);
            w.path.add(name);
            JsonNode result = visit(child, name, true, w);
            w.path.remove(w.path.size() - 1);
            if (result == null) {
                object.remove(name);
            } else if (result != child) {
                object.set(name, result);
            }
        }
    }

    private void walkArray(ArrayNode array, Work w) {
        for (int i = 0; i < array.size(); i++) {
            JsonNode child = array.get(i);
            w.path.add(i);
            JsonNode result = visit(child, null, false, w);
            w.path.remove(w.path.size() - 1);
            if (result != child && result != null) {
                array.set(i, result);
            }
        }
    }
}
