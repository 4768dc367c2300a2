package io.gatehouse.gateway.admin.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a record keeps of an exchange, read for a replay: whether its request body is whole and unmasked (and
 * if not, why and which fields), its bytes, and the recorded answer's bytes.
 */
final class StoredRequest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** {@code [redacted]}: JSON fields the recording redacts and credentials it scrubs; always a mask. */
    private static final Pattern REDACTED = Pattern.compile("\\[redacted]");
    /** The masking engine's masks: {@code [EMAIL]}, {@code [EMAIL:3f2a9c1b0d44]}, partial {@code ****4242}. */
    private static final Pattern MASK = Pattern.compile("\\[redacted]|\\[[A-Z][A-Z0-9_]*(:[0-9a-f]{8,64})?]|\\*{3,}");

    private StoredRequest() {
    }

    /** Why a request cannot be replayed as stored; {@code masked} lists the masked fields (JSON Pointers). */
    record Refusal(String reason, List<String> masked, ObjectNode detectors) {
    }

    /** Null when the record's request can be re-sent as stored, else why not. */
    static Refusal check(JsonNode record) {
        JsonNode request = record.path("request");
        JsonNode body = request.path("body");
        if (request.isMissingNode() || body.isMissingNode() || body.isNull()) {
            return new Refusal("the record keeps no request body", List.of(), null);
        }
        if (body.has("omitted")) {
            return new Refusal("the stored request body is incomplete: the recording kept none of its "
                    + body.path("size").asLong() + " bytes (" + body.path("omitted").asText() + ")", List.of(), null);
        }
        if (body.path("truncated").asBoolean(false)) {
            return new Refusal("the stored request body is incomplete: the recording cut it (" + body.path("size")
                    .asLong() + " bytes sent; raise the endpoint's recording.maxBodyBytes to replay such requests)",
                    List.of(), null);
        }
        ObjectNode detectors = JSON.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = record.path("storedMasking").path("request").fields();
             it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().asInt() > 0) {
                detectors.put(e.getKey(), e.getValue().asInt());
            }
        }
        boolean masked = !detectors.isEmpty() || body.path("redactions").asInt(0) > 0;
        List<String> fields = new ArrayList<>();
        String text = body.path("text").asText(null);
        if (text != null) {
            Pattern marks = masked ? MASK : REDACTED;
            JsonNode tree = parse(text);
            if (tree != null) {
                find(tree, "", marks, fields);
            } else if (marks.matcher(text).find()) {
                fields.add("(the body's text)");
            }
        }
        if (!masked && fields.isEmpty()) {
            return null;
        }
        String what = fields.isEmpty() ? "" : ": " + String.join(", ", fields);
        String counts = detectors.isEmpty() ? "" : " (masked by the recording: " + detectors + ")";
        return new Refusal("the stored request body has masked fields" + what + counts + "; it is not the request"
                + " the model saw, so it is not re-sent", fields, detectors.isEmpty() ? null : detectors);
    }

    private static void find(JsonNode node, String pointer, Pattern marks, List<String> into) {
        if (node.isTextual()) {
            if (marks.matcher(node.asText()).find()) {
                into.add(pointer.isEmpty() ? "/" : pointer);
            }
        } else if (node.isObject()) {
            node.fields().forEachRemaining(e -> find(e.getValue(), pointer + "/" + e.getKey().replace("~", "~0")
                    .replace("/", "~1"), marks, into));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                find(node.get(i), pointer + "/" + i, marks, into);
            }
        }
    }

    private static JsonNode parse(String text) {
        String t = text.stripLeading();
        if (!t.startsWith("{") && !t.startsWith("[")) {
            return null;
        }
        try {
            return JSON.readTree(t);
        } catch (IOException e) {
            return null;
        }
    }

    /** The stored body's bytes: its text, or its base64. */
    static byte[] bytes(JsonNode body) {
        if (body.has("text")) {
            return body.path("text").asText().getBytes(StandardCharsets.UTF_8);
        }
        if (body.has("base64")) {
            return Base64.getDecoder().decode(body.path("base64").asText());
        }
        if (body.has("chunks")) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (JsonNode chunk : (ArrayNode) body.get("chunks")) {
                all.writeBytes(bytes(chunk));
            }
            return all.toByteArray();
        }
        return new byte[0];
    }

    /** Null when the recorded answer is whole, else why it cannot be compared. */
    static String answerProblem(JsonNode record) {
        JsonNode response = record.path("response");
        if (response.isMissingNode() || response.isNull()) {
            return "the record keeps no answer to compare with";
        }
        JsonNode body = response.path("body");
        if (body.has("omitted")) {
            return "the recorded answer is incomplete: the recording kept none of its bytes ("
                    + body.path("omitted").asText() + ")";
        }
        if (body.path("truncated").asBoolean(false)) {
            return "the recorded answer is incomplete: the recording cut it at the endpoint's recording.maxBodyBytes"
                    + " (" + body.path("size").asLong() + " bytes in all)";
        }
        if (body.has("endedWith")) {
            return "the recorded answer is incomplete: its stream ended with " + body.path("endedWith").asText();
        }
        return null;
    }

    /** The first value of a header in a record's {@code headers} object, by name in any case; or null. */
    static String header(JsonNode headers, String name) {
        for (Iterator<Map.Entry<String, JsonNode>> it = headers.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> h = it.next();
            if (h.getKey().equalsIgnoreCase(name) && h.getValue().size() > 0) {
                return h.getValue().get(0).asText();
            }
        }
        return null;
    }
}
