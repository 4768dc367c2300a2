package io.gatehouse.samplemodel;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /v1/batches}: {@code POST} creates a batch from an uploaded JSON Lines file and runs it at
 * once (each line {@code {"custom_id","method","url","body"}} against {@code /v1/chat/completions}
 * or {@code /v1/completions}, answered {@code "You said: ..."}), so the batch is {@code completed}
 * with an output file when the call returns; {@code GET} lists; {@code GET /v1/batches/{id}} reads one.
 */
final class BatchesEndpoint implements Endpoint {

    static final String PATH = "/v1/batches";
    static final Set<String> ENDPOINTS = Set.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings");
    /** Most lines one batch runs. */
    static final int MAX_LINES = 50_000;

    private final ServerContext context;
    private final SampleFiles files;

    BatchesEndpoint(ServerContext context, SampleFiles files) {
        this.context = context;
        this.files = files;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String rest = exchange.getRequestURI().getPath().substring(PATH.length());
        if (rest.isEmpty() || rest.equals("/")) {
            if (method.equals("POST")) {
                HttpIo.sendJson(exchange, 200, create(HttpIo.readJson(exchange)));
            } else if (method.equals("GET")) {
                List<Map<String, Object>> list = files.batchList();
                HttpIo.sendJson(exchange, 200, Json.object("object", "list", "data", list, "has_more", false,
                        "first_id", list.isEmpty() ? null : list.get(0).get("id"),
                        "last_id", list.isEmpty() ? null : list.get(list.size() - 1).get("id")));
            } else {
                FilesEndpoint.notAllowed(exchange, "GET, POST");
            }
            return;
        }
        if (!method.equals("GET")) {
            FilesEndpoint.notAllowed(exchange, "GET");
            return;
        }
        HttpIo.sendJson(exchange, 200, files.batch(rest.substring(1)));
    }

    private Map<String, Object> create(RequestBody body) {
        String inputFileId = body.requireString("input_file_id");
        String endpoint = body.requireString("endpoint");
        String window = body.requireString("completion_window");
        if (!ENDPOINTS.contains(endpoint)) {
            throw ApiException.badRequest("invalid_value", "endpoint", "Invalid value for 'endpoint': expected one of "
                    + String.join(", ", new java.util.TreeSet<>(ENDPOINTS)) + ", but got '" + endpoint + "'.");
        }
        if (!window.equals("24h")) {
            throw ApiException.badRequest("invalid_value", "completion_window",
                    "Invalid value for 'completion_window': expected '24h', but got '" + window + "'.");
        }
        SampleFiles.StoredFile input = files.file(inputFileId);
        long now = ServerContext.now();
        List<String> lines = new String(input.content(), StandardCharsets.UTF_8).lines()
                .filter(l -> !l.isBlank()).toList();
        if (lines.size() > MAX_LINES) {
            throw ApiException.badRequest("too_many_requests_in_batch", "input_file_id", "A batch holds at most "
                    + MAX_LINES + " requests; the file has " + lines.size() + ".");
        }
        StringBuilder output = new StringBuilder();
        int completed = 0;
        int failed = 0;
        for (String line : lines) {
            Map<String, Object> result = run(line, endpoint);
            if (result.get("error") == null) {
                completed++;
            } else {
                failed++;
            }
            output.append(Json.write(result)).append('\n');
        }
        SampleFiles.StoredFile out = files.add("batch_output.jsonl", "batch_output",
                output.toString().getBytes(StandardCharsets.UTF_8));
        Map<String, Object> batch = Json.object(
                "id", files.nextId("batch_"), "object", "batch", "endpoint", endpoint, "errors", null,
                "input_file_id", inputFileId, "completion_window", window, "status", "completed",
                "output_file_id", out.id(), "error_file_id", null, "created_at", now, "in_progress_at", now,
                "expires_at", now + 86_400, "finalizing_at", now, "completed_at", now, "failed_at", null,
                "expired_at", null, "cancelling_at", null, "cancelled_at", null,
                "request_counts", Json.object("total", lines.size(), "completed", completed, "failed", failed),
                "metadata", body.optionalObject("metadata"));
        files.putBatch(batch);
        return batch;
    }

    /** One line of the input file, answered the way the live endpoint answers it. */
    private Map<String, Object> run(String line, String endpoint) {
        String customId = null;
        try {
            Object parsed = Json.parse(line);
            if (!(parsed instanceof Map<?, ?> request)) {
                return failure(null, "invalid_request", "each line must be a JSON object");
            }
            customId = request.get("custom_id") instanceof String s ? s : null;
            if (!endpoint.equals(request.get("url"))) {
                return failure(customId, "invalid_url", "the line's url must be the batch's endpoint " + endpoint);
            }
            if (!(request.get("body") instanceof Map<?, ?> body) || !(body.get("model") instanceof String model)) {
                return failure(customId, "invalid_request", "the line's body must name a model");
            }
            if (!context.settings().models().contains(model)) {
                return failure(customId, "model_not_found", "The model `" + model + "` does not exist.");
            }
            String prompt = promptOf(body);
            String text = context.settings().answerPrefix() + prompt;
            int words = Words.count(prompt);
            Map<String, Object> answer = Json.object(
                    "id", "chatcmpl-" + context.nextId(), "object", endpoint.endsWith("chat/completions")
                            ? "chat.completion" : "text_completion", "created", ServerContext.now(), "model", model,
                    "choices", List.of(endpoint.endsWith("chat/completions")
                            ? Json.object("index", 0, "message", Json.object("role", "assistant", "content", text),
                            "finish_reason", "stop")
                            : Json.object("index", 0, "text", text, "finish_reason", "stop")),
                    "usage", Json.object("prompt_tokens", words, "completion_tokens", Words.count(text),
                            "total_tokens", words + Words.count(text)));
            return Json.object("id", "batch_req_" + context.nextId(), "custom_id", customId,
                    "response", Json.object("status_code", 200, "request_id", "req_" + context.nextId(), "body",
                            answer), "error", null);
        } catch (JsonException e) {
            return failure(customId, "invalid_json", "the line is not JSON: " + e.getMessage());
        }
    }

    private static String promptOf(Map<?, ?> body) {
        if (body.get("messages") instanceof List<?> messages) {
            String last = "";
            for (Object m : messages) {
                if (m instanceof Map<?, ?> message && "user".equals(message.get("role"))
                        && message.get("content") instanceof String content) {
                    last = content;
                }
            }
            return last;
        }
        return body.get("prompt") instanceof String prompt ? prompt : "";
    }

    private Map<String, Object> failure(String customId, String code, String message) {
        return Json.object("id", "batch_req_" + context.nextId(), "custom_id", customId, "response", null,
                "error", Json.object("code", code, "message", message));
    }
}
