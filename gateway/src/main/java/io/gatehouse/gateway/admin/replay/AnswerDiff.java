package io.gatehouse.gateway.admin.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.Patch;
import com.github.difflib.text.DiffRow;
import com.github.difflib.text.DiffRowGenerator;
import com.flipkart.zjsonpatch.DiffFlags;
import com.flipkart.zjsonpatch.JsonDiff;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Compares two answers of a model to one request: the recorded one and the replayed one.
 *
 * <ul>
 *   <li>Both whole JSON: a structural diff (RFC 6902 operations from zjsonpatch, without move/copy, a replace
 *       carrying the recorded value), after removing the ignored JSON Pointers from both (by default the
 *       fields that differ on every call: {@code /id}, {@code /created}, {@code /system_fingerprint},
 *       {@code /created_at}). {@code *} in a pointer matches every element or member.</li>
 *   <li>Either streamed (SSE or NDJSON): the text the stream carries (OpenAI {@code choices[].delta.content}
 *       or {@code choices[].text}, Ollama {@code message.content} or {@code response}, per choice), compared
 *       as text; a stream whose events are not such JSON is compared as its raw text.</li>
 *   <li>Otherwise: the bodies as text.</li>
 * </ul>
 * Text is compared line by line (unified diff, java-diff-utils) and word by word (one inline line per
 * changed line: {@code [-old-]{+new+}}). A different status alone makes the answers different.
 */
public final class AnswerDiff {

    /** What every call changes in an OpenAI or Ollama answer; left out unless the caller names its own list. */
    public static final List<String> DEFAULT_IGNORED = List.of("/id", "/created", "/system_fingerprint",
            "/created_at");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final EnumSet<DiffFlags> FLAGS = EnumSet.of(DiffFlags.OMIT_MOVE_OPERATION,
            DiffFlags.OMIT_COPY_OPERATION, DiffFlags.ADD_ORIGINAL_VALUE_ON_REPLACE);

    /** One answer: status, content type (may be null), whether it came as a stream, and its bytes. */
    public record Answer(int status, String contentType, boolean streamed, byte[] body) {
        public Answer {
            body = body == null ? new byte[0] : body;
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        boolean eventStream() {
            return mediaType().equals("text/event-stream")
                    || (streamed && text().stripLeading().startsWith("data:"));
        }

        boolean ndjson() {
            String type = mediaType();
            return type.equals("application/x-ndjson") || type.equals("application/jsonl")
                    || (streamed && !eventStream());
        }

        private String mediaType() {
            if (contentType == null) {
                return "";
            }
            int semi = contentType.indexOf(';');
            return (semi < 0 ? contentType : contentType.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
        }
    }

    private AnswerDiff() {
    }

    /**
     * The comparison: {@code outcome} ({@code same} or {@code different}), {@code kind} ({@code json},
     * {@code stream-text} or {@code text}), {@code status} (both), and for JSON {@code ignored} and
     * {@code changes} ({@code op}, {@code path}, {@code recorded}, {@code replayed}), for text {@code unified}
     * and {@code inline}; {@code recordedAnswer} and {@code replayedAnswer} hold the two answers as compared
     * (JSON, or the text).
     */
    public static ObjectNode compare(Answer recorded, Answer replayed, List<String> ignored) {
        ObjectNode result = JSON.createObjectNode();
        boolean statusSame = recorded.status() == replayed.status();
        ObjectNode status = JSON.createObjectNode();
        status.put("recorded", recorded.status()).put("replayed", replayed.status());
        boolean same;
        boolean streams = recorded.streamed() || replayed.streamed() || recorded.eventStream()
                || replayed.eventStream();
        JsonNode left = streams ? null : json(recorded.body());
        JsonNode right = streams ? null : json(replayed.body());
        if (left != null && right != null) {
            result.put("kind", "json");
            ArrayNode changes = jsonChanges(left, right, ignored);
            same = changes.isEmpty();
            ArrayNode names = result.putArray("ignored");
            ignored.forEach(names::add);
            result.set("changes", changes);
            result.set("recordedAnswer", left);
            result.set("replayedAnswer", right);
        } else {
            String a = streams ? streamText(recorded) : recorded.text();
            String b = streams ? streamText(replayed) : replayed.text();
            result.put("kind", streams ? "stream-text" : "text");
            same = a.equals(b);
            result.put("unified", same ? "" : unified(a, b));
            result.put("inline", same ? "" : inline(a, b));
            result.put("recordedAnswer", a);
            result.put("replayedAnswer", b);
        }
        result.put("outcome", same && statusSame ? "same" : "different");
        result.set("status", status);
        return result;
    }

    /** The RFC 6902 operations from {@code recorded} to {@code replayed}, ignored pointers removed from both. */
    static ArrayNode jsonChanges(JsonNode recorded, JsonNode replayed, List<String> ignored) {
        JsonNode a = recorded.deepCopy();
        JsonNode b = replayed.deepCopy();
        for (String pointer : ignored) {
            List<String> tokens = tokens(pointer);
            a = remove(a, tokens);
            b = remove(b, tokens);
        }
        ArrayNode changes = JSON.createArrayNode();
        for (JsonNode op : JsonDiff.asJson(a, b, FLAGS)) {
            ObjectNode change = changes.addObject();
            String kind = op.path("op").asText();
            change.put("op", kind).put("path", op.path("path").asText());
            switch (kind) {
                case "replace" -> {
                    change.set("recorded", op.get("fromValue"));
                    change.set("replayed", op.get("value"));
                }
                case "add" -> change.set("replayed", op.get("value"));
                case "remove" -> change.set("recorded", op.get("value"));
                default -> change.set("value", op.get("value"));
            }
        }
        return changes;
    }

    /** The reference tokens of a JSON Pointer (RFC 6901). */
    static List<String> tokens(String pointer) {
        if (pointer == null || !pointer.startsWith("/")) {
            throw new IllegalArgumentException("'" + pointer + "' is not a JSON Pointer (expected e.g. /id or"
                    + " /choices/*/index)");
        }
        List<String> tokens = new ArrayList<>();
        for (String raw : pointer.substring(1).split("/", -1)) {
            tokens.add(raw.replace("~1", "/").replace("~0", "~"));
        }
        return tokens;
    }

    private static JsonNode remove(JsonNode node, List<String> tokens) {
        if (tokens.isEmpty()) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
        removeIn(node, tokens, 0);
        return node;
    }

    private static void removeIn(JsonNode node, List<String> tokens, int at) {
        String token = tokens.get(at);
        boolean last = at == tokens.size() - 1;
        if (node instanceof ObjectNode object) {
            List<String> names = new ArrayList<>();
            if (token.equals("*")) {
                object.fieldNames().forEachRemaining(names::add);
            } else if (object.has(token)) {
                names.add(token);
            }
            for (String name : names) {
                if (last) {
                    object.remove(name);
                } else {
                    removeIn(object.get(name), tokens, at + 1);
                }
            }
        } else if (node instanceof ArrayNode array) {
            if (token.equals("*")) {
                if (last) {
                    array.removeAll();
                } else {
                    array.forEach(e -> removeIn(e, tokens, at + 1));
                }
            } else if (token.matches("\\d{1,9}") && Integer.parseInt(token) < array.size()) {
                if (last) {
                    array.remove(Integer.parseInt(token));
                } else {
                    removeIn(array.get(Integer.parseInt(token)), tokens, at + 1);
                }
            }
        }
    }

    private static JsonNode json(byte[] body) {
        int i = 0;
        while (i < body.length && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) {
            i++;
        }
        if (i == body.length || (body[i] != '{' && body[i] != '[')) {
            return null;
        }
        try {
            return JSON.readTree(body);
        } catch (IOException notJson) {
            return null;
        }
    }

    /**
     * The text a stream carries, per choice in index order ({@code [choice N]} headings when there are several);
     * the raw text when its events are not JSON of a known shape.
     */
    static String streamText(Answer answer) {
        String raw = answer.text();
        Map<Integer, StringBuilder> choices = new TreeMap<>();
        boolean understood = false;
        for (String line : raw.split("\r?\n")) {
            String data = line.strip();
            if (answer.eventStream()) {
                if (!data.startsWith("data:")) {
                    continue;
                }
                data = data.substring(5).strip();
                if (data.equals("[DONE]")) {
                    continue;
                }
            }
            if (data.isEmpty()) {
                continue;
            }
            JsonNode event = json(data.getBytes(StandardCharsets.UTF_8));
            if (event == null) {
                return raw;
            }
            understood |= collect(event, choices);
        }
        if (!understood) {
            return raw;
        }
        if (choices.size() == 1) {
            return choices.values().iterator().next().toString();
        }
        StringBuilder all = new StringBuilder();
        choices.forEach((index, text) -> all.append("[choice ").append(index).append("] ").append(text).append('\n'));
        return all.toString();
    }

    private static boolean collect(JsonNode event, Map<Integer, StringBuilder> choices) {
        boolean understood = false;
        if (event.has("choices")) {
            for (JsonNode choice : event.path("choices")) {
                int index = choice.path("index").asInt(0);
                JsonNode piece = choice.path("delta").path("content");
                if (piece.isMissingNode() || piece.isNull()) {
                    piece = choice.path("text");
                }
                if (piece.isTextual()) {
                    choices.computeIfAbsent(index, i -> new StringBuilder()).append(piece.asText());
                }
            }
            understood = true;
        }
        JsonNode ollama = event.path("message").path("content");
        if (ollama.isMissingNode()) {
            ollama = event.path("response");
        }
        if (ollama.isTextual()) {
            choices.computeIfAbsent(0, i -> new StringBuilder()).append(ollama.asText());
            understood = true;
        }
        return understood;
    }

    static String unified(String recorded, String replayed) {
        List<String> a = lines(recorded);
        List<String> b = lines(replayed);
        Patch<String> patch = DiffUtils.diff(a, b);
        return String.join("\n", UnifiedDiffUtils.generateUnifiedDiff("recorded", "replayed", a, patch, 3)) + "\n";
    }

    /** The changed lines, each with its word changes marked {@code [-recorded-]} and {@code {+replayed+}}. */
    static String inline(String recorded, String replayed) {
        DiffRowGenerator generator = DiffRowGenerator.create().showInlineDiffs(true).inlineDiffByWord(true)
                .mergeOriginalRevised(true).lineNormalizer(Function.identity())
                .oldTag(start -> start ? "[-" : "-]").newTag(start -> start ? "{+" : "+}").build();
        StringBuilder out = new StringBuilder();
        for (DiffRow row : generator.generateDiffRows(lines(recorded), lines(replayed))) {
            if (row.getTag() != DiffRow.Tag.EQUAL) {
                out.append(row.getOldLine()).append('\n');
            }
        }
        return out.toString();
    }

    private static List<String> lines(String text) {
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        if (lines.size() > 1 && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }
}
