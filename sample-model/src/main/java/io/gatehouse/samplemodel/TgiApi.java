package io.gatehouse.samplemodel;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Text Generation Inference's own API (huggingface/text-generation-inference, the router's OpenAPI) with the
 * sample model's echo: {@code POST /generate} with {@code {"inputs", "parameters": {"max_new_tokens",
 * "details", "best_of"…}}} answers {@code {"generated_text": "You said: <inputs>"}} (and {@code details} when
 * asked); {@code POST /generate_stream} sends SSE events {@code data:{"index","token":{"id","text","logprob",
 * "special"},"generated_text":null,"details":null}}, the last one carrying the whole {@code generated_text}
 * and {@code details} (TGI writes {@code data:} without a space). {@code GET /info} describes the one model
 * TGI serves (the first of the settings). Errors are TGI's {@code {"error", "error_type"}}.
 */
final class TgiApi implements Endpoint {

    static final List<String> PATHS = List.of("/generate", "/generate_stream", "/info");
    static final int MAX_BEST_OF = 2;

    private final ServerContext context;

    TgiApi(ServerContext context) {
        this.context = context;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        try {
            if (path.equals("/info") && method.equals("GET")) {
                HttpIo.sendJson(exchange, 200, info());
            } else if (!path.equals("/info") && method.equals("POST")) {
                generate(exchange, HttpIo.readJson(exchange), path.equals("/generate_stream"));
            } else {
                throw new ShapedError(405, "method not allowed", Json.object("error", "method not allowed",
                        "error_type", "validation"));
            }
        } catch (ShapedError e) {
            throw e;
        } catch (ApiException e) {
            throw validation(e.getMessage());
        }
    }

    static ShapedError validation(String message) {
        String text = "Input validation error: " + message;
        return new ShapedError(422, text, Json.object("error", text, "error_type", "validation"));
    }

    private void generate(HttpExchange exchange, RequestBody body, boolean stream) throws IOException {
        String inputs = body.requireString("inputs");
        Map<String, Object> parameters = body.optionalObject("parameters");
        Integer cap = null;
        Object max = parameters.get("max_new_tokens");
        if (max != null) {
            if (!(max instanceof Long n) || n < 1) {
                throw validation("`max_new_tokens` must be strictly positive");
            }
            cap = (int) Math.min(n, Integer.MAX_VALUE);
        }
        Object bestOf = parameters.get("best_of");
        if (bestOf != null && (!(bestOf instanceof Long b) || b < 1 || b > MAX_BEST_OF)) {
            throw validation("`best_of` must be > 0 and <= " + MAX_BEST_OF + ". Given: " + bestOf);
        }
        boolean details = Boolean.TRUE.equals(parameters.get("details"));
        Choice answer = Choice.of(0, context.settings().answerPrefix() + inputs, cap);
        String finish = answer.finishReason().equals("length") ? "length" : "eos_token";
        int inputLength = Words.count(inputs);
        if (!stream) {
            Map<String, Object> response = Json.object("generated_text", answer.text());
            if (details) {
                List<Object> tokens = new ArrayList<>();
                for (int i = 0; i < answer.pieces().size(); i++) {
                    tokens.add(token(i, answer.pieces().get(i)));
                }
                response.put("details", Json.object("finish_reason", finish, "generated_tokens",
                        answer.completionTokens(), "seed", null, "prefill", List.of(), "tokens", tokens));
            }
            HttpIo.sendJson(exchange, 200, response);
            return;
        }
        Duration delay = Pacing.tokenDelay(exchange, context);
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            int n = answer.pieces().size();
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    Pacing.sleep(delay);
                }
                boolean last = i == n - 1;
                Map<String, Object> event = Json.object("index", i + 1, "token", token(i, answer.pieces().get(i)),
                        "top_tokens", null,
                        "generated_text", last ? answer.text() : null,
                        "details", last ? Json.object("finish_reason", finish, "generated_tokens", n, "seed", null,
                                "input_length", inputLength) : null);
                out.write(("data:" + Json.write(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        }
    }

    private static Map<String, Object> token(int i, String text) {
        return Json.object("id", 1000L + i, "text", text, "logprob", -0.25, "special", false);
    }

    private Map<String, Object> info() {
        return Json.object("model_id", context.settings().models().get(0), "model_sha", null,
                "model_pipeline_tag", "text-generation", "max_concurrent_requests", 128, "max_best_of", MAX_BEST_OF,
                "max_stop_sequences", 4, "max_input_tokens", 4095, "max_total_tokens", 4096,
                "validation_workers", 2, "max_client_batch_size", 4, "router", "text-generation-router",
                "version", "3.3.4", "sha", null, "docker_label", null);
    }
}
