package io.gatehouse.processors.masking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * OpenAI stream chunks ({@code chat.completion.chunk}, {@code text_completion}): per choice (by its
 * {@code index}), the texts {@code delta.content}, {@code delta.reasoning}, {@code delta.reasoning_content},
 * {@code delta.refusal}, each tool call's {@code delta.tool_calls[].function.arguments} (by the tool call's
 * {@code index}) and a completion's {@code text} continue across events. A choice's held text goes out in
 * the event that carries its {@code finish_reason}.
 */
final class OpenAiEvents extends StreamEvents {

    private static final List<String> DELTA_TEXTS = List.of("content", "reasoning", "reasoning_content", "refusal");
    private static final String TOOL = "tool_calls";
    private static final String TEXT = "text";

    private ObjectNode last;

    OpenAiEvents(Masker masker, MaskingCounts counts) {
        super(masker, MaskingProtocol.OPENAI, counts);
    }

    @Override
    protected void channels(ObjectNode event) {
        last = event;
        if (!(event.get("choices") instanceof ArrayNode choices)) {
            return;
        }
        for (int p = 0; p < choices.size(); p++) {
            if (!(choices.get(p) instanceof ObjectNode choice)) {
                continue;
            }
            int index = choice.path("index").asInt(p);
            if (choice.get("delta") instanceof ObjectNode delta) {
                for (String field : DELTA_TEXTS) {
                    push(delta, field, new Channel(index, field, -1));
                }
                if (delta.get(TOOL) instanceof ArrayNode calls) {
                    for (int q = 0; q < calls.size(); q++) {
                        if (calls.get(q) instanceof ObjectNode call && call.get("function") instanceof ObjectNode fn) {
                            push(fn, "arguments", new Channel(index, TOOL, call.path("index").asInt(q)));
                        }
                    }
                }
            }
            push(choice, TEXT, new Channel(index, TEXT, -1));
            JsonNode finish = choice.get("finish_reason");
            if (finish != null && !finish.isNull()) {
                place(choice, finish(c -> c.choice() == index));
            }
        }
    }

    @Override
    List<JsonNode> flush() {
        Map<Integer, Map<Channel, String>> byChoice = new TreeMap<>();
        finish(c -> true).forEach((c, tail) -> byChoice.computeIfAbsent(c.choice(), i -> new java.util.LinkedHashMap<>())
                .put(c, tail));
        if (byChoice.isEmpty()) {
            return List.of();
        }
        ObjectNode event = Json.MAPPER.createObjectNode();
        copy(last, event, "id", "object", "created", "model");
        ArrayNode choices = event.putArray("choices");
        boolean chat = last == null || !"text_completion".equals(last.path("object").asText());
        for (Map.Entry<Integer, Map<Channel, String>> e : byChoice.entrySet()) {
            ObjectNode choice = choices.addObject();
            choice.put("index", e.getKey());
            if (chat) {
                choice.putObject("delta");
            }
            place(choice, e.getValue());
            choice.putNull("logprobs");
            choice.putNull("finish_reason");
        }
        List<JsonNode> events = new ArrayList<>();
        events.add(event);
        return events;
    }

    /** Puts each channel's held text into the choice, after what the choice already carries. */
    private void place(ObjectNode choice, Map<Channel, String> tails) {
        for (Map.Entry<Channel, String> e : tails.entrySet()) {
            Channel c = e.getKey();
            if (c.field().equals(TEXT)) {
                append(choice, TEXT, e.getValue());
            } else if (c.field().equals(TOOL)) {
                ObjectNode delta = object(choice, "delta");
                ArrayNode calls = delta.get(TOOL) instanceof ArrayNode a ? a : delta.putArray(TOOL);
                ObjectNode call = null;
                for (JsonNode existing : calls) {
                    if (existing instanceof ObjectNode o && o.path("index").asInt(-1) == c.tool()) {
                        call = o;
                    }
                }
                if (call == null) {
                    call = calls.addObject();
                    call.put("index", c.tool());
                }
                append(object(call, "function"), "arguments", e.getValue());
            } else {
                append(object(choice, "delta"), c.field(), e.getValue());
            }
        }
    }
}
