package io.gatehouse.processors.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.processors.support.MaskedAnswer;
import io.gatehouse.processors.support.ParsedAnswer;
import io.gatehouse.spi.ChunkTransformer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * Applies an allowing rule's field visibility to an answer, and reads the answer's token usage for
 * quotas: a whole JSON body at its end, an SSE stream event by event, an NDJSON stream line by line.
 * In each JSON document it drops the KServe {@code outputs[]} the caller may not see, drops the models
 * a model listing may not show, notes the usage ({@code usage.total_tokens}; Ollama's
 * {@code prompt_eval_count + eval_count}), then removes the hidden fields. A document that is not JSON
 * where fields must be hidden ends the answer (fail closed). One instance per answer; not thread-safe.
 */
final class ResponseFilter implements ChunkTransformer {

    /** How the body is framed. */
    enum Framing { WHOLE, SSE, NDJSON }

    static final int MAX_EVENT_BYTES = 4 * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Framing framing;
    private final List<FieldPointer> hide;
    private final Set<String> outputs;
    private final Predicate<String> visibleModel;
    private final boolean strict;
    private final LongConsumer onUsage;
    private final ParsedAnswer parsed;
    private final BiConsumer<byte[], byte[]> removed;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private long usage = -1;

    /**
     * @param hide         fields to remove
     * @param outputs      KServe output names the caller may see; null for all
     * @param visibleModel which models a listing may show; null when the answer is no listing
     * @param strict       fail when a document is not JSON (fields must be hidden from it)
     * @param onUsage      told the tokens used at the end (-1 when the answer said none)
     * @param parsed       a whole answer's tree, when an earlier built-in step (masking) read it already; or null
     * @param removed      told a whole answer before and after this filter removed parts of it (all it ever
     *                     does to one), so the masking step's hand-on follows it ({@link MaskedAnswer}); or null
     */
    ResponseFilter(Framing framing, List<FieldPointer> hide, Set<String> outputs, Predicate<String> visibleModel,
                   boolean strict, LongConsumer onUsage, ParsedAnswer parsed, BiConsumer<byte[], byte[]> removed) {
        this.framing = framing;
        this.hide = hide;
        this.outputs = outputs;
        this.visibleModel = visibleModel;
        this.strict = strict;
        this.onUsage = onUsage;
        this.parsed = parsed;
        this.removed = removed;
    }

    @Override
    public byte[] onChunk(byte[] chunk) {
        pending.writeBytes(chunk);
        if (framing == Framing.WHOLE) {
            if (pending.size() > 64 * 1024 * 1024) {
                throw new IllegalStateException("the answer is too large to filter");
            }
            return EMPTY;
        }
        byte[] bytes = pending.toByteArray();
        int consumed = framing == Framing.SSE ? sse(bytes, false) : ndjson(bytes, false);
        return emit(bytes, consumed);
    }

    @Override
    public byte[] onEnd() {
        byte[] bytes = pending.toByteArray();
        pending.reset();
        byte[] out;
        if (framing == Framing.WHOLE) {
            JsonNode tree = parsed == null ? null : parsed.take(bytes);
            out = bytes.length == 0 ? bytes
                    : tree != null ? filtered(tree, bytes) : document(new String(bytes, StandardCharsets.UTF_8), bytes);
            if (out != bytes && removed != null) {
                removed.accept(bytes, out);
            }
        } else {
            this.out.reset();
            if (framing == Framing.SSE) {
                sse(bytes, true);
            } else {
                ndjson(bytes, true);
            }
            out = this.out.toByteArray();
        }
        onUsage.accept(usage);
        return out;
    }

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private byte[] emit(byte[] bytes, int consumed) {
        pending.reset();
        pending.write(bytes, consumed, bytes.length - consumed);
        if (pending.size() > MAX_EVENT_BYTES) {
            throw new IllegalStateException("a stream event is larger than " + MAX_EVENT_BYTES + " bytes");
        }
        byte[] result = out.toByteArray();
        out.reset();
        return result.length == 0 ? EMPTY : result;
    }

    /** Handles every complete SSE event (up to a blank line); returns the bytes consumed. */
    private int sse(byte[] b, boolean end) {
        int eventStart = 0;
        int lineStart = 0;
        for (int i = 0; i < b.length; i++) {
            if (b[i] != '\n') {
                continue;
            }
            int lineEnd = i > lineStart && b[i - 1] == '\r' ? i - 1 : i;
            if (lineEnd == lineStart) {
                event(new String(b, eventStart, i + 1 - eventStart, StandardCharsets.UTF_8));
                eventStart = i + 1;
            }
            lineStart = i + 1;
        }
        if (end && eventStart < b.length) {
            event(new String(b, eventStart, b.length - eventStart, StandardCharsets.UTF_8));
            return b.length;
        }
        return eventStart;
    }

    private void event(String text) {
        StringBuilder data = null;
        StringBuilder before = new StringBuilder();
        StringBuilder after = new StringBuilder();
        String[] lines = text.split("\r?\n", -1);
        for (String line : lines) {
            if (line.startsWith("data:")) {
                String value = line.substring(5);
                value = value.startsWith(" ") ? value.substring(1) : value;
                data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            } else if (!line.isEmpty()) {
                (data == null ? before : after).append(line).append('\n');
            }
        }
        String payload = data == null ? null : data.toString().strip();
        if (payload == null || payload.equals("[DONE]") || !(payload.startsWith("{") || payload.startsWith("["))) {
            out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
            return;
        }
        byte[] original = data.toString().getBytes(StandardCharsets.UTF_8);
        byte[] filtered = document(data.toString(), original);
        out.writeBytes(before.toString().getBytes(StandardCharsets.UTF_8));
        out.writeBytes("data: ".getBytes(StandardCharsets.UTF_8));
        out.writeBytes(filtered);
        out.write('\n');
        out.writeBytes(after.toString().getBytes(StandardCharsets.UTF_8));
        out.write('\n');
    }

    private int ndjson(byte[] b, boolean end) {
        int lineStart = 0;
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '\n') {
                line(b, lineStart, i);
                out.write('\n');
                lineStart = i + 1;
            }
        }
        if (end && lineStart < b.length) {
            line(b, lineStart, b.length);
            return b.length;
        }
        return lineStart;
    }

    private void line(byte[] b, int from, int to) {
        int end = to > from && b[to - 1] == '\r' ? to - 1 : to;
        String text = new String(b, from, end - from, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            out.write(b, from, to - from);
            return;
        }
        out.writeBytes(document(text, java.util.Arrays.copyOfRange(b, from, end)));
    }

    /** One JSON document, filtered; the original bytes when nothing changed. */
    private byte[] document(String text, byte[] original) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            if (strict) {
                throw new IllegalStateException("the answer is not JSON, so the fields this caller may not see"
                        + " cannot be removed; it was cut");
            }
            return original;
        }
        if (node == null) {
            return original;
        }
        return filtered(node, original);
    }

    /** {@code node} (the tree of {@code original}) filtered, written; the original bytes when nothing changed. */
    private byte[] filtered(JsonNode node, byte[] original) {
        boolean changed = false;
        if (visibleModel != null) {
            changed |= filterModels(node);
        }
        if (outputs != null) {
            changed |= filterOutputs(node);
        }
        readUsage(node);
        for (FieldPointer pointer : hide) {
            changed |= pointer.removeFrom(node);
        }
        if (!changed) {
            return original;
        }
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the filtered answer", e);
        }
    }

    /** OpenAI {@code data[].id}, Ollama {@code models[].name}, KServe repository index {@code [].name}. */
    private boolean filterModels(JsonNode node) {
        if (node instanceof ObjectNode o && o.get("data") instanceof ArrayNode data) {
            return removeIf(data, item -> !visibleModel.test(item.path("id").asText(null)));
        }
        if (node instanceof ObjectNode o && o.get("models") instanceof ArrayNode models) {
            return removeIf(models, item -> !visibleModel.test(item.path("name").asText(item.path("model").asText(null))));
        }
        if (node instanceof ArrayNode index) {
            return removeIf(index, item -> !visibleModel.test(item.path("name").asText(null)));
        }
        if (node instanceof ObjectNode o && o.path("object").asText("").equals("model") && o.has("id")
                && !visibleModel.test(o.path("id").asText())) {
            o.removeAll();
            return true;
        }
        return false;
    }

    private boolean filterOutputs(JsonNode node) {
        if (node instanceof ObjectNode o && o.get("outputs") instanceof ArrayNode list) {
            return removeIf(list, item -> !outputs.contains(item.path("name").asText(null)));
        }
        return false;
    }

    private static boolean removeIf(ArrayNode array, Predicate<JsonNode> drop) {
        boolean removed = false;
        for (Iterator<JsonNode> it = array.elements(); it.hasNext(); ) {
            if (drop.test(it.next())) {
                it.remove();
                removed = true;
            }
        }
        return removed;
    }

    private void readUsage(JsonNode node) {
        JsonNode total = node.path("usage").path("total_tokens");
        if (total.canConvertToLong()) {
            usage = Math.max(usage, total.asLong());
            return;
        }
        JsonNode prompt = node.path("prompt_eval_count");
        JsonNode eval = node.path("eval_count");
        if (prompt.canConvertToLong() || eval.canConvertToLong()) {
            usage = Math.max(usage, prompt.asLong(0) + eval.asLong(0));
        }
    }
}
