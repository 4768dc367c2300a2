package io.gatehouse.processors.masking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Masks the JSON events of one stream (SSE events, NDJSON lines). A protocol that streams text in pieces
 * has channels: each one a {@link TextStream} that continues from event to event (an OpenAI choice's
 * {@code delta.content}, one tool call's {@code arguments}, Ollama's {@code message.content}), so a value
 * split across events is still caught. Each event goes out with the safe part of its pieces; what is held
 * back goes out in the event that ends the text (a {@code finish_reason}, Ollama's {@code done}) or, when
 * the stream ends without one, in {@link #flush()} events. Every other string of an event is masked whole.
 *
 * <p>Not thread-safe: one per stream, used sequentially.
 */
abstract class StreamEvents {

    /** A text that continues across events: a choice, a field, and a tool call index (-1 for none). */
    record Channel(int choice, String field, int tool) {
    }

    protected final Masker masker;
    protected final MaskingCounts counts;
    private final JsonMasker json;
    private final Scanner.Context scan;
    private final Map<Channel, TextStream> channels = new LinkedHashMap<>();
    protected Set<JsonNode> handled;

    StreamEvents(Masker masker, MaskingProtocol protocol, MaskingCounts counts) {
        this.masker = masker;
        this.counts = counts;
        this.json = new JsonMasker(masker, protocol, true);
        this.scan = masker.scanner().context();
    }

    static StreamEvents of(Masker masker, MaskingProtocol protocol, MaskingCounts counts) {
        return switch (protocol) {
            case OPENAI -> new OpenAiEvents(masker, counts);
            case OLLAMA -> new OllamaEvents(masker, counts);
            case KSERVE_V2 -> new KServeEvents(masker, counts);
            case GENERIC -> new StreamEvents(masker, protocol, counts) {
                @Override
                protected void channels(ObjectNode event) {
                }

                @Override
                List<JsonNode> flush() {
                    return List.of();
                }
            };
        };
    }

    /** Masks one event; returns what to send. */
    final JsonNode onEvent(JsonNode event) {
        handled = Collections.newSetFromMap(new IdentityHashMap<>());
        if (event instanceof ObjectNode object) {
            channels(object);
        }
        JsonNode masked = json.mask(event, scan, counts, handled, new boolean[1]);
        handled = null;
        return masked;
    }

    /** Pushes the event's channel pieces (and ends channels the event ends), replacing them in place. */
    protected abstract void channels(ObjectNode event);

    /** Events that carry what every still-open channel holds; empty when nothing is held. */
    abstract List<JsonNode> flush();

    /** Replaces a textual member with the safe part of its channel; nothing when absent or not text. */
    protected final void push(ObjectNode holder, String field, Channel channel) {
        JsonNode value = holder.get(field);
        if (value != null && value.isTextual()) {
            String out = channels.computeIfAbsent(channel, c -> masker.textStream(counts)).push(value.textValue());
            set(holder, field, out);
        }
    }

    /** Sets a member to text that is already masked, so the whole-event walk leaves it alone. */
    protected final void set(ObjectNode holder, String field, String text) {
        TextNode node = new TextNode(text);
        holder.set(field, node);
        if (handled != null) {
            handled.add(node);
        }
    }

    /** Appends masked text to a member (creating it). */
    protected final void append(ObjectNode holder, String field, String tail) {
        JsonNode existing = holder.get(field);
        set(holder, field, (existing != null && existing.isTextual() ? existing.textValue() : "") + tail);
    }

    /** Ends the matching channels and returns their held text, masked, in channel order (empty tails left out). */
    protected final Map<Channel, String> finish(Predicate<Channel> which) {
        Map<Channel, String> tails = new LinkedHashMap<>();
        for (Iterator<Map.Entry<Channel, TextStream>> it = channels.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Channel, TextStream> e = it.next();
            if (which.test(e.getKey())) {
                String tail = e.getValue().finish();
                if (!tail.isEmpty()) {
                    tails.put(e.getKey(), tail);
                }
                it.remove();
            }
        }
        return tails;
    }

    /** True while some channel holds text back. */
    final boolean holding() {
        return channels.values().stream().anyMatch(t -> t.held() > 0);
    }

    /** An object member, created when absent or not an object. */
    protected static ObjectNode object(ObjectNode holder, String field) {
        JsonNode existing = holder.get(field);
        if (existing instanceof ObjectNode o) {
            return o;
        }
        return holder.putObject(field);
    }

    /** Copies the named members of {@code from} (when present) into {@code to}. */
    protected static void copy(ObjectNode from, ObjectNode to, String... names) {
        if (from == null) {
            return;
        }
        for (String name : names) {
            JsonNode v = from.get(name);
            if (v != null) {
                to.set(name, v.deepCopy());
            }
        }
    }
}
