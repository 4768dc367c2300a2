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
 *
 * <p>The native streams of servers that serve the OpenAI API beside their own come to the same endpoint:
 * TGI's {@code /generate_stream} ({@code token.text} continues; held text goes out in the event whose
 * {@code generated_text} or {@code details} is set, which ends the stream) and llama.cpp's
 * {@code /completion} ({@code content} per {@code index} continues; held text goes out in its
 * {@code "stop": true} event). TGI's closing {@code generated_text} is the whole text and is masked whole.
 */
final class OpenAiEvents extends StreamEvents {

    private static final List<String> DELTA_TEXTS = List.of("content", "reasoning", "reasoning_content", "refusal");
    private static final String TOOL = "tool_calls";
    private static final String TEXT = "text";
    /** Channel fields of the native streams; never an OpenAI delta field. */
    private static final String TGI_TOKEN = "tgi:token.text";
    private static final String LLAMA_CONTENT = "llama.cpp:content";

    private ObjectNode last;

    OpenAiEvents(Masker masker, MaskingCounts counts) {
        super(masker, MaskingProtocol.OPENAI, counts);
    }

    @Override
    protected void channels(ObjectNode event) {
        last = event;
        if (!(event.get("choices") instanceof ArrayNode choices)) {
            nativeEvent(event);
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

    /** A TGI or llama.cpp stream event (anything else has no text that continues). */
    private void nativeEvent(ObjectNode event) {
        if (event.get("token") instanceof ObjectNode token) {
            push(token, TEXT, new Channel(0, TGI_TOKEN, -1));
            if (present(event.get("generated_text")) || present(event.get("details"))) {
                finish(c -> true).values().forEach(tail -> append(token, TEXT, tail));
            }
        } else if (event.has("content") && event.path("stop").isBoolean()) {
            int index = event.path("index").asInt(0);
            push(event, "content", new Channel(index, LLAMA_CONTENT, -1));
            if (event.path("stop").asBoolean()) {
                finish(c -> c.choice() == index).values().forEach(tail -> append(event, "content", tail));
            }
        }
    }

    private static boolean present(JsonNode node) {
        return node != null && !node.isNull();
    }

    /** What the native channels hold, as events of their own stream's shape. */
    private List<JsonNode> flushNative(Map<Channel, String> tails) {
        List<JsonNode> events = new ArrayList<>();
        tails.forEach((c, tail) -> {
            ObjectNode event = Json.MAPPER.createObjectNode();
            if (c.field().equals(TGI_TOKEN)) {
                copy(last, event, "index");
                ObjectNode token = event.putObject("token");
                token.put("id", 0);
                set(token, TEXT, tail);
                token.put("logprob", 0.0);
                token.put("special", false);
                event.putNull("generated_text");
                event.putNull("details");
            } else {
                event.put("index", c.choice());
                set(event, "content", tail);
                event.put("stop", false);
            }
            events.add(event);
        });
        return events;
    }

    @Override
    List<JsonNode> flush() {
        Map<Channel, String> nativeTails = finish(c -> c.field().equals(TGI_TOKEN) || c.field().equals(LLAMA_CONTENT));
        if (!nativeTails.isEmpty()) {
            return flushNative(nativeTails);
        }
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
