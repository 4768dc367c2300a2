package io.gatehouse.samplemodel;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The shared shape of {@code /v1/chat/completions} and {@code /v1/completions}: every prompt is answered
 * with {@code "You said: <prompt>"}, {@code n} times, truncated to {@code max_tokens} words, either as one
 * JSON object or as an SSE stream of one event per word with the token delay between words.
 */
abstract class GenerationEndpoint implements Endpoint {

    /** Request header that overrides the server's token delay for one request. */
    static final String TOKEN_DELAY_HEADER = Pacing.TOKEN_DELAY_HEADER;
    static final int MAX_TOKEN_DELAY_MS = Pacing.MAX_TOKEN_DELAY_MS;
    static final int MAX_N = 128;
    /** Most choices one request may ask for (prompts × n), so a small body cannot demand a huge answer. */
    static final int MAX_CHOICES = 1024;

    /** The texts to echo (one answer set per prompt) and the prompt size in words. */
    record Prompt(List<String> echoes, int words) {
    }

    private final ServerContext context;

    GenerationEndpoint(ServerContext context) {
        this.context = context;
    }

    abstract String idPrefix();

    abstract String objectType();

    abstract String chunkObjectType();

    abstract Prompt readPrompt(RequestBody body);

    /** A choice of the full (non-stream) response. */
    abstract Map<String, Object> fullChoice(Choice choice);

    /** A stream chunk's choice carrying one word piece. */
    abstract Map<String, Object> pieceChoice(int index, String piece, boolean first);

    /** The stream chunk's choice that ends a choice. */
    abstract Map<String, Object> finishChoice(int index, String finishReason);

    @Override
    public final void handle(HttpExchange exchange) throws IOException {
        Duration delay = Pacing.tokenDelay(exchange, context);
        RequestBody body = HttpIo.readJson(exchange);
        String model = context.requireModel(body);
        Prompt prompt = readPrompt(body);
        int n = body.optionalInt("n", 1, 1, MAX_N);
        Integer maxTokens = body.has("max_completion_tokens")
                ? body.optionalInt("max_completion_tokens", null, 1, Integer.MAX_VALUE)
                : body.optionalInt("max_tokens", null, 1, Integer.MAX_VALUE);
        boolean stream = body.optionalBoolean("stream", false);
        Object includeUsage = stream ? body.optionalObject("stream_options").get("include_usage") : null;
        if (includeUsage != null && !(includeUsage instanceof Boolean)) {
            throw RequestBody.invalidType("stream_options.include_usage", "a boolean", includeUsage);
        }

        long asked = (long) prompt.echoes().size() * n;
        if (asked > MAX_CHOICES) {
            throw ApiException.badRequest("too_many_choices", "n", "The request asks for " + asked + " choices ("
                    + prompt.echoes().size() + " prompts x n=" + n + "); the sample model allows at most "
                    + MAX_CHOICES + ".");
        }
        List<Choice> choices = new ArrayList<>();
        int completionWords = 0;
        for (String echo : prompt.echoes()) {
            for (int i = 0; i < n; i++) {
                Choice choice = Choice.of(choices.size(), context.settings().answerPrefix() + echo, maxTokens);
                choices.add(choice);
                completionWords += choice.completionTokens();
            }
        }
        Map<String, Object> usage = Json.object(
                "prompt_tokens", prompt.words(),
                "completion_tokens", completionWords,
                "total_tokens", prompt.words() + completionWords);
        Map<String, Object> head = Json.object(
                "id", idPrefix() + context.nextId(),
                "object", stream ? chunkObjectType() : objectType(),
                "created", ServerContext.now(),
                "model", model);

        if (stream) {
            stream(exchange, head, choices, Boolean.TRUE.equals(includeUsage) ? usage : null, delay);
        } else {
            Map<String, Object> response = Json.object();
            response.putAll(head);
            response.put("choices", choices.stream().map(this::fullChoice).toList());
            response.put("usage", usage);
            HttpIo.sendJson(exchange, 200, response);
        }
    }

    private void stream(HttpExchange exchange, Map<String, Object> head, List<Choice> choices,
            Map<String, Object> usage, Duration delay) throws IOException {
        SseStream sse = SseStream.open(exchange);
        int longest = choices.stream().mapToInt(Choice::completionTokens).max().orElse(0);
        for (int word = 0; word < longest; word++) {
            if (word > 0) {
                Pacing.sleep(delay);
            }
            for (Choice choice : choices) {
                if (word < choice.completionTokens()) {
                    sse.send(chunk(head, pieceChoice(choice.index(), choice.pieces().get(word), word == 0), usage));
                }
            }
        }
        for (Choice choice : choices) {
            sse.send(chunk(head, finishChoice(choice.index(), choice.finishReason()), usage));
        }
        if (usage != null) {
            Map<String, Object> usageChunk = Json.object();
            usageChunk.putAll(head);
            usageChunk.put("choices", List.of());
            usageChunk.put("usage", usage);
            sse.send(usageChunk);
        }
        sse.done();
    }

    /** Like OpenAI, chunks carry {@code "usage": null} when a usage chunk will follow, and no usage key otherwise. */
    private static Map<String, Object> chunk(Map<String, Object> head, Map<String, Object> choice, Map<String, Object> usage) {
        Map<String, Object> chunk = Json.object();
        chunk.putAll(head);
        chunk.put("choices", List.of(choice));
        if (usage != null) {
            chunk.put("usage", null);
        }
        return chunk;
    }
}
