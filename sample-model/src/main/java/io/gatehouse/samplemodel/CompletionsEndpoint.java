package io.gatehouse.samplemodel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/completions}: answers {@code "You said: <prompt>"}. An array of prompts gives
 * {@code n} choices per prompt, numbered prompt by prompt, as OpenAI does.
 */
final class CompletionsEndpoint extends GenerationEndpoint {

    CompletionsEndpoint(ServerContext context) {
        super(context);
    }

    @Override
    String idPrefix() {
        return "cmpl-";
    }

    @Override
    String objectType() {
        return "text_completion";
    }

    @Override
    String chunkObjectType() {
        return "text_completion";
    }

    @Override
    Prompt readPrompt(RequestBody body) {
        Object prompt = body.get("prompt");
        if (prompt == null) {
            throw ApiException.badRequest("missing_required_parameter", "prompt", "Missing required parameter: 'prompt'.");
        }
        List<String> prompts = new ArrayList<>();
        if (prompt instanceof String s) {
            prompts.add(s);
        } else if (prompt instanceof List<?> list) {
            if (list.isEmpty()) {
                throw ApiException.badRequest("empty_array", "prompt", "Invalid 'prompt': empty array. "
                        + "Expected an array with minimum length 1, but got an empty array instead.");
            }
            for (int i = 0; i < list.size(); i++) {
                if (!(list.get(i) instanceof String s)) {
                    throw RequestBody.invalidType("prompt[" + i + "]", "a string", list.get(i));
                }
                prompts.add(s);
            }
        } else {
            throw RequestBody.invalidType("prompt", "a string or an array of strings", prompt);
        }
        return new Prompt(prompts, prompts.stream().mapToInt(Words::count).sum());
    }

    @Override
    Map<String, Object> fullChoice(Choice choice) {
        return textChoice(choice.index(), choice.text(), choice.finishReason());
    }

    @Override
    Map<String, Object> pieceChoice(int index, String piece, boolean first) {
        return textChoice(index, piece, null);
    }

    @Override
    Map<String, Object> finishChoice(int index, String finishReason) {
        return textChoice(index, "", finishReason);
    }

    private static Map<String, Object> textChoice(int index, String text, String finishReason) {
        return Json.object("index", index, "text", text, "logprobs", null, "finish_reason", finishReason);
    }
}
