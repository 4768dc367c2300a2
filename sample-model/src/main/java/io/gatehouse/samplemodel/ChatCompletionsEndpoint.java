package io.gatehouse.samplemodel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code POST /v1/chat/completions}: answers {@code "You said: <last user message>"}. */
final class ChatCompletionsEndpoint extends GenerationEndpoint {

    ChatCompletionsEndpoint(ServerContext context) {
        super(context);
    }

    @Override
    String idPrefix() {
        return "chatcmpl-";
    }

    @Override
    String objectType() {
        return "chat.completion";
    }

    @Override
    String chunkObjectType() {
        return "chat.completion.chunk";
    }

    /**
     * The last user message is echoed; every message's text counts towards the prompt words. Content
     * is a string, null, or an array of parts whose {@code text} parts are joined with newlines (as
     * vLLM does); other part types (images, audio) carry no text here.
     */
    @Override
    Prompt readPrompt(RequestBody body) {
        List<Object> messages = body.requireArray("messages");
        if (messages.isEmpty()) {
            throw ApiException.badRequest("empty_array", "messages", "Invalid 'messages': empty array. "
                    + "Expected an array with minimum length 1, but got an empty array instead.");
        }
        String lastUser = "";
        int words = 0;
        for (int i = 0; i < messages.size(); i++) {
            String field = "messages[" + i + "]";
            if (!(messages.get(i) instanceof Map<?, ?> message)) {
                throw RequestBody.invalidType(field, "an object", messages.get(i));
            }
            Object role = message.get("role");
            if (role == null) {
                throw ApiException.badRequest("missing_required_parameter", field + ".role",
                        "Missing required parameter: '" + field + ".role'.");
            }
            if (!(role instanceof String)) {
                throw RequestBody.invalidType(field + ".role", "a string", role);
            }
            String text = text(field + ".content", message.get("content"));
            words += Words.count(text);
            if (role.equals("user")) {
                lastUser = text;
            }
        }
        return new Prompt(List.of(lastUser), words);
    }

    private static String text(String field, Object content) {
        if (content == null) {
            return "";
        }
        if (content instanceof String s) {
            return s;
        }
        if (!(content instanceof List<?> parts)) {
            throw RequestBody.invalidType(field, "a string or an array of content parts", content);
        }
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            String partField = field + "[" + i + "]";
            if (!(parts.get(i) instanceof Map<?, ?> part)) {
                throw RequestBody.invalidType(partField, "an object", parts.get(i));
            }
            if (!"text".equals(part.get("type"))) {
                continue;
            }
            if (!(part.get("text") instanceof String text)) {
                throw RequestBody.invalidType(partField + ".text", "a string", part.get("text"));
            }
            texts.add(text);
        }
        return String.join("\n", texts);
    }

    @Override
    Map<String, Object> fullChoice(Choice choice) {
        return Json.object(
                "index", choice.index(),
                "message", Json.object("role", "assistant", "content", choice.text(), "refusal", null),
                "logprobs", null,
                "finish_reason", choice.finishReason());
    }

    @Override
    Map<String, Object> pieceChoice(int index, String piece, boolean first) {
        Map<String, Object> delta = first
                ? Json.object("role", "assistant", "content", piece)
                : Json.object("content", piece);
        return Json.object("index", index, "delta", delta, "logprobs", null, "finish_reason", null);
    }

    @Override
    Map<String, Object> finishChoice(int index, String finishReason) {
        return Json.object("index", index, "delta", Json.object(), "logprobs", null, "finish_reason", finishReason);
    }
}
