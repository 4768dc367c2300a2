package io.gatehouse.processors.masking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * Ollama's native NDJSON lines ({@code /api/chat}, {@code /api/generate}): {@code message.content},
 * {@code message.thinking}, {@code response} and {@code thinking} continue across lines; the held text
 * goes out in the line with {@code "done": true}.
 */
final class OllamaEvents extends StreamEvents {

    private static final List<String> TOP = List.of("response", "thinking");
    private static final List<String> MESSAGE = List.of("content", "thinking");

    private ObjectNode last;

    OllamaEvents(Masker masker, MaskingCounts counts) {
        super(masker, MaskingProtocol.OLLAMA, counts);
    }

    @Override
    protected void channels(ObjectNode event) {
        last = event;
        for (String field : TOP) {
            push(event, field, new Channel(0, field, -1));
        }
        if (event.get("message") instanceof ObjectNode message) {
            for (String field : MESSAGE) {
                push(message, field, new Channel(0, "message." + field, -1));
            }
        }
        if (event.path("done").asBoolean(false)) {
            place(event, finish(c -> true));
        }
    }

    @Override
    List<JsonNode> flush() {
        Map<Channel, String> tails = finish(c -> true);
        if (tails.isEmpty()) {
            return List.of();
        }
        ObjectNode line = Json.MAPPER.createObjectNode();
        copy(last, line, "model", "created_at");
        place(line, tails);
        line.put("done", false);
        return List.of(line);
    }

    private void place(ObjectNode line, Map<Channel, String> tails) {
        tails.forEach((c, tail) -> {
            if (c.field().startsWith("message.")) {
                ObjectNode message = object(line, "message");
                if (!message.has("role")) {
                    message.put("role", "assistant");
                }
                append(message, c.field().substring("message.".length()), tail);
            } else {
                append(line, c.field(), tail);
            }
        });
    }
}
