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
 * llama.cpp server's own API (tools/server/README.md) with the sample model's echo: {@code POST /completion}
 * answers {@code "You said: <prompt>"} cut after {@code n_predict} words (-1 or absent: no cap), as one
 * object or, with {@code "stream": true}, as SSE events of {@code {"content", "stop": false}} ending with
 * the {@code "stop": true} event that carries {@code stop_type}, {@code tokens_predicted} and
 * {@code timings} (no {@code [DONE]}: that is the OpenAI-compatible routes' marker). A prompt array of
 * strings is a batch: one result each ({@code index}). {@code GET /slots} shows the slots (their prompt
 * included, as llama.cpp does); {@code GET /props} the server's settings, {@code POST /props} changes them
 * (counted, {@code llamacpp.props}). Errors are llama.cpp's {@code {"error": {"code", "message", "type"}}}.
 */
final class LlamaCppApi implements Endpoint {

    static final List<String> PATHS = List.of("/completion", "/slots", "/props");
    static final int SLOTS = 2;

    private final ServerContext context;
    private volatile String lastPrompt = "";

    LlamaCppApi(ServerContext context) {
        this.context = context;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        try {
            if (path.equals("/completion") && method.equals("POST")) {
                completion(exchange, HttpIo.readJson(exchange));
            } else if (path.equals("/slots") && method.equals("GET")) {
                HttpIo.sendJson(exchange, 200, slots());
            } else if (path.equals("/props") && method.equals("GET")) {
                HttpIo.sendJson(exchange, 200, props());
            } else if (path.equals("/props") && method.equals("POST")) {
                HttpIo.readJson(exchange);
                context.admin().count("llamacpp.props");
                HttpIo.sendJson(exchange, 200, Json.object("success", true));
            } else {
                throw error(405, "Method " + method + " is not allowed on " + path);
            }
        } catch (ShapedError e) {
            throw e;
        } catch (ApiException e) {
            throw error(e.status(), e.getMessage());
        }
    }

    static ShapedError error(int status, String message) {
        return new ShapedError(status, message, Json.object("error", Json.object("code", status, "message", message,
                "type", status == 404 ? "not_found_error" : "invalid_request_error")));
    }

    private String model(RequestBody body) {
        String model = body.optionalString("model", context.settings().models().get(0));
        if (!context.serves(model)) {
            throw error(404, "model '" + model + "' not found");
        }
        return model;
    }

    private void completion(HttpExchange exchange, RequestBody body) throws IOException {
        long start = System.nanoTime();
        String model = model(body);
        List<String> prompts = new ArrayList<>();
        Object prompt = body.get("prompt");
        if (prompt instanceof String s) {
            prompts.add(s);
        } else if (prompt instanceof List<?> list && !list.isEmpty() && list.stream().allMatch(p -> p instanceof String)) {
            list.forEach(p -> prompts.add((String) p));
        } else {
            throw error(400, "\"prompt\" must be a string or an array of strings");
        }
        Integer cap = body.has("n_predict") ? nPredict(body.get("n_predict")) : null;
        boolean stream = body.optionalBoolean("stream", false);
        lastPrompt = prompts.get(0);
        List<Choice> answers = new ArrayList<>();
        for (String p : prompts) {
            answers.add(Choice.of(answers.size(), context.settings().answerPrefix() + p, cap));
        }
        if (!stream) {
            List<Object> results = new ArrayList<>();
            for (int i = 0; i < answers.size(); i++) {
                Map<String, Object> r = result(model, i, prompts.get(i), answers.get(i), start, cap);
                r.put("content", answers.get(i).text());
                results.add(r);
            }
            HttpIo.sendJson(exchange, 200, results.size() == 1 ? results.get(0) : results);
            return;
        }
        Duration delay = Pacing.tokenDelay(exchange, context);
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            int longest = answers.stream().mapToInt(Choice::completionTokens).max().orElse(0);
            for (int w = 0; w < longest; w++) {
                if (w > 0) {
                    Pacing.sleep(delay);
                }
                for (Choice a : answers) {
                    if (w < a.completionTokens()) {
                        send(out, Json.object("index", a.index(), "content", a.pieces().get(w), "tokens", List.of(),
                                "stop", false, "id_slot", 0, "tokens_predicted", w + 1,
                                "tokens_evaluated", Words.count(prompts.get(a.index()))));
                    }
                }
            }
            for (Choice a : answers) {
                Map<String, Object> last = result(model, a.index(), prompts.get(a.index()), a, start, cap);
                last.put("content", "");
                send(out, last);
            }
        }
    }

    private static Integer nPredict(Object value) {
        if (!(value instanceof Long n)) {
            throw error(400, "\"n_predict\" must be an integer");
        }
        return n < 0 ? null : (int) Math.min(n, Integer.MAX_VALUE);
    }

    private static void send(OutputStream out, Object json) throws IOException {
        out.write(("data: " + Json.write(json) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** The final result of one prompt (its {@code content} set by the caller). */
    private static Map<String, Object> result(String model, int index, String prompt, Choice answer, long start,
                                              Integer cap) {
        double ms = Math.max(1, System.nanoTime() - start) / 1e6;
        int promptTokens = Words.count(prompt);
        return Json.object("index", index, "content", "", "tokens", List.of(), "id_slot", 0, "stop", true,
                "model", model, "tokens_predicted", answer.completionTokens(), "tokens_evaluated", promptTokens,
                "generation_settings", Json.object("n_predict", cap == null ? -1 : cap, "temperature", 0.8,
                        "top_k", 40, "top_p", 0.95, "stream", false),
                "prompt", prompt, "has_new_line", false, "truncated", false,
                "stop_type", answer.finishReason().equals("length") ? "limit" : "eos", "stopping_word", "",
                "tokens_cached", promptTokens + answer.completionTokens(),
                "timings", Json.object("prompt_n", promptTokens, "prompt_ms", ms / 4, "predicted_n",
                        answer.completionTokens(), "predicted_ms", ms / 2));
    }

    private List<Object> slots() {
        List<Object> slots = new ArrayList<>();
        for (int id = 0; id < SLOTS; id++) {
            slots.add(Json.object("id", id, "id_task", -1, "n_ctx", 4096, "speculative", false,
                    "is_processing", false, "params", Json.object("n_predict", -1, "temperature", 0.8),
                    "prompt", id == 0 ? lastPrompt : "",
                    "next_token", Json.object("has_next_token", true, "has_new_line", false, "n_remain", -1,
                            "n_decoded", 0, "stopping_word", "")));
        }
        return slots;
    }

    private Map<String, Object> props() {
        return Json.object(
                "default_generation_settings", Json.object("id", 0, "n_ctx", 4096, "speculative", false,
                        "is_processing", false, "params", Json.object("n_predict", -1, "temperature", 0.8)),
                "total_slots", SLOTS,
                "model_path", "/models/" + context.settings().models().get(0) + ".gguf",
                "modalities", Json.object("vision", false, "audio", false),
                "chat_template", "{{ messages }}",
                "build_info", "b6000-sample");
    }
}
