package io.gatehouse.samplemodel;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Ollama's native API (github.com/ollama/ollama docs/api.md) with the sample model's echo: {@code /api/chat}
 * and {@code /api/generate} answer {@code "You said: <last user message | prompt>"}, cut after
 * {@code options.num_predict} words, streamed as NDJSON (one line per word, the token delay between words)
 * unless {@code "stream": false}, and end with Ollama's final object ({@code done}, {@code done_reason},
 * durations in nanoseconds, {@code prompt_eval_count}, {@code eval_count}). {@code /api/embed} (and the
 * older {@code /api/embeddings}), {@code /api/tags}, {@code /api/show}, {@code /api/ps},
 * {@code /api/version}; {@code /api/pull} (NDJSON progress, then {@code success}) and {@code /api/delete}
 * change the models on disk and are counted ({@code ollama.pull}, {@code ollama.delete}). Errors are
 * Ollama's {@code {"error": "..."}}.
 */
final class OllamaApi implements Endpoint {

    static final List<String> PATHS = List.of("/api/chat", "/api/generate", "/api/embed", "/api/embeddings",
            "/api/tags", "/api/show", "/api/pull", "/api/delete", "/api/ps", "/api/version");
    static final String VERSION = "0.12.3";
    static final int EMBEDDING_DIMENSIONS = 8;

    private final ServerContext context;
    private final OllamaModels models;

    OllamaApi(ServerContext context) {
        this.context = context;
        this.models = new OllamaModels(context.settings().models());
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        try {
            switch (path) {
                case "/api/tags" -> get(method, () -> tags(exchange));
                case "/api/ps" -> get(method, () -> ps(exchange));
                case "/api/version" -> get(method, () -> HttpIo.sendJson(exchange, 200, Json.object("version", VERSION)));
                case "/api/delete" -> {
                    if (!method.equals("DELETE")) {
                        throw ShapedError.ollama(405, "method not allowed; use DELETE");
                    }
                    delete(exchange, HttpIo.readJson(exchange));
                }
                default -> {
                    if (!method.equals("POST")) {
                        throw ShapedError.ollama(405, "method not allowed; use POST");
                    }
                    RequestBody body = HttpIo.readJson(exchange);
                    switch (path) {
                        case "/api/chat" -> chat(exchange, body);
                        case "/api/generate" -> generate(exchange, body);
                        case "/api/embed" -> embed(exchange, body, false);
                        case "/api/embeddings" -> embed(exchange, body, true);
                        case "/api/show" -> show(exchange, body);
                        default -> pull(exchange, body);
                    }
                }
            }
        } catch (ShapedError e) {
            throw e;
        } catch (ApiException e) {
            throw ShapedError.ollama(e.status(), e.getMessage());
        }
    }

    private interface Action {
        void run() throws IOException;
    }

    private static void get(String method, Action action) throws IOException {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            throw ShapedError.ollama(405, "method not allowed; use GET");
        }
        action.run();
    }

    private String requireLocal(RequestBody body) {
        String name = body.has("model") ? body.requireString("model") : body.has("name") ? body.requireString("name")
                : null;
        if (name == null || name.isBlank()) {
            throw ShapedError.ollama(400, "model is required");
        }
        if (models.find(name) == null) {
            throw ShapedError.ollama(404, "model \"" + name + "\" not found, try pulling it first");
        }
        return name;
    }

    private void chat(HttpExchange exchange, RequestBody body) throws IOException {
        long start = System.nanoTime();
        String model = requireLocal(body);
        List<Object> messages = body.has("messages") ? body.requireArray("messages") : List.of();
        String lastUser = "";
        int promptWords = 0;
        for (int i = 0; i < messages.size(); i++) {
            if (!(messages.get(i) instanceof Map<?, ?> message)) {
                throw ShapedError.ollama(400, "messages[" + i + "] must be an object");
            }
            Object content = message.get("content");
            String text = content instanceof String s ? s : "";
            promptWords += Words.count(text);
            if ("user".equals(message.get("role"))) {
                lastUser = text;
            }
        }
        models.load(model);
        if (messages.isEmpty()) { // Ollama loads the model and answers at once
            HttpIo.sendJson(exchange, 200, Json.object("model", model, "created_at", OllamaModels.now(),
                    "message", Json.object("role", "assistant", "content", ""), "done_reason", "load", "done", true));
            return;
        }
        Choice answer = Choice.of(0, context.settings().answerPrefix() + lastUser, numPredict(body));
        answer(exchange, body, model, answer, promptWords, start, true);
    }

    private void generate(HttpExchange exchange, RequestBody body) throws IOException {
        long start = System.nanoTime();
        String model = requireLocal(body);
        String prompt = body.optionalString("prompt", "");
        if (prompt.isEmpty()) { // load, or unload with keep_alive 0
            boolean unload = zero(body.get("keep_alive"));
            if (unload) {
                models.unload(model);
            } else {
                models.load(model);
            }
            HttpIo.sendJson(exchange, 200, Json.object("model", model, "created_at", OllamaModels.now(),
                    "response", "", "done", true, "done_reason", unload ? "unload" : "load"));
            return;
        }
        models.load(model);
        Choice answer = Choice.of(0, context.settings().answerPrefix() + prompt, numPredict(body));
        answer(exchange, body, model, answer, Words.count(prompt) + Words.count(body.optionalString("system", "")),
                start, false);
    }

    /** {@code options.num_predict}: at most that many words; negative (-1 endless, -2 fill) or absent: no cap. */
    private static Integer numPredict(RequestBody body) {
        Object options = body.get("options");
        if (options == null) {
            return null;
        }
        if (!(options instanceof Map<?, ?> o)) {
            throw ShapedError.ollama(400, "options must be an object");
        }
        Object n = o.get("num_predict");
        if (n == null) {
            return null;
        }
        if (!(n instanceof Long value)) {
            throw ShapedError.ollama(400, "option \"num_predict\" must be an integer");
        }
        return value < 0 ? null : (int) Math.min(value, Integer.MAX_VALUE);
    }

    private static boolean zero(Object keepAlive) {
        return keepAlive instanceof Number n && n.doubleValue() == 0
                || keepAlive instanceof String s && s.matches("0+[a-z]*");
    }

    private void answer(HttpExchange exchange, RequestBody body, String model, Choice answer, int promptWords,
                        long start, boolean chat) throws IOException {
        boolean stream = body.optionalBoolean("stream", true);
        if (!stream) {
            Map<String, Object> line = head(model);
            put(line, chat, answer.text());
            finish(line, answer, promptWords, start, chat);
            HttpIo.sendJson(exchange, 200, line);
            return;
        }
        Duration delay = Pacing.tokenDelay(exchange, context);
        NdjsonStream out = NdjsonStream.open(exchange);
        for (int i = 0; i < answer.pieces().size(); i++) {
            if (i > 0) {
                Pacing.sleep(delay);
            }
            Map<String, Object> line = head(model);
            put(line, chat, answer.pieces().get(i));
            line.put("done", false);
            out.send(line);
        }
        Map<String, Object> last = head(model);
        put(last, chat, "");
        finish(last, answer, promptWords, start, chat);
        out.send(last);
        out.close();
    }

    private static Map<String, Object> head(String model) {
        return Json.object("model", model, "created_at", OllamaModels.now());
    }

    private static void put(Map<String, Object> line, boolean chat, String text) {
        if (chat) {
            line.put("message", Json.object("role", "assistant", "content", text));
        } else {
            line.put("response", text);
        }
    }

    /** Ollama's final object: why it stopped and what it cost (durations in nanoseconds). */
    private static void finish(Map<String, Object> line, Choice answer, int promptWords, long start, boolean chat) {
        long total = Math.max(1, System.nanoTime() - start);
        line.put("done", true);
        line.put("done_reason", answer.finishReason());
        if (!chat) {
            List<Long> tokens = new ArrayList<>();
            for (long t = 1; t <= promptWords + answer.completionTokens(); t++) {
                tokens.add(t);
            }
            line.put("context", tokens);
        }
        line.put("total_duration", total);
        line.put("load_duration", total / 10);
        line.put("prompt_eval_count", promptWords);
        line.put("prompt_eval_duration", total / 5);
        line.put("eval_count", answer.completionTokens());
        line.put("eval_duration", total / 2);
    }

    private void embed(HttpExchange exchange, RequestBody body, boolean legacy) throws IOException {
        long start = System.nanoTime();
        String model = requireLocal(body);
        List<String> inputs = new ArrayList<>();
        Object input = legacy ? body.get("prompt") : body.get("input");
        if (input instanceof String s) {
            inputs.add(s);
        } else if (input instanceof List<?> list && !legacy) {
            for (Object item : list) {
                if (!(item instanceof String s)) {
                    throw ShapedError.ollama(400, "invalid input type: every input must be a string");
                }
                inputs.add(s);
            }
        } else if (input != null) {
            throw ShapedError.ollama(400, "invalid input type");
        }
        models.load(model);
        List<Object> vectors = new ArrayList<>();
        int words = 0;
        for (String text : inputs) {
            List<Float> v = new ArrayList<>();
            for (float f : EmbeddingsEndpoint.vector(model, text, EMBEDDING_DIMENSIONS)) {
                v.add(f);
            }
            vectors.add(v);
            words += Words.count(text);
        }
        if (legacy) {
            HttpIo.sendJson(exchange, 200, Json.object("embedding", vectors.isEmpty() ? List.of() : vectors.get(0)));
            return;
        }
        long total = Math.max(1, System.nanoTime() - start);
        HttpIo.sendJson(exchange, 200, Json.object("model", model, "embeddings", vectors, "total_duration", total,
                "load_duration", total / 10, "prompt_eval_count", words));
    }

    private void tags(HttpExchange exchange) throws IOException {
        List<Object> list = new ArrayList<>();
        for (OllamaModels.Local m : models.list()) {
            list.add(Json.object("name", m.name(), "model", m.name(), "modified_at", m.modifiedAt(), "size", m.size(),
                    "digest", m.digest().substring("sha256:".length()), "details", OllamaModels.details()));
        }
        HttpIo.sendJson(exchange, 200, Json.object("models", list));
    }

    private void ps(HttpExchange exchange) throws IOException {
        List<Object> list = new ArrayList<>();
        models.loaded().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            OllamaModels.Local m = models.find(e.getKey());
            if (m != null) {
                list.add(Json.object("name", m.name(), "model", m.name(), "size", m.size(),
                        "digest", m.digest().substring("sha256:".length()), "details", OllamaModels.details(),
                        "expires_at", e.getValue(), "size_vram", m.size(), "context_length", 4096));
            }
        });
        HttpIo.sendJson(exchange, 200, Json.object("models", list));
    }

    private void show(HttpExchange exchange, RequestBody body) throws IOException {
        String name = body.has("model") ? body.requireString("model") : body.optionalString("name", "");
        OllamaModels.Local m = models.find(name);
        if (m == null) {
            throw ShapedError.ollama(404, "model '" + name + "' not found");
        }
        HttpIo.sendJson(exchange, 200, Json.object(
                "modelfile", "# Modelfile generated by \"ollama show\"\nFROM " + m.name() + "\nTEMPLATE {{ .Prompt }}\n",
                "parameters", "num_ctx 4096",
                "template", "{{ .Prompt }}",
                "details", OllamaModels.details(),
                "model_info", Json.object("general.architecture", "echo", "general.parameter_count", 1_000_000L,
                        "echo.context_length", 4096L),
                "capabilities", List.of("completion", "embedding"),
                "modified_at", m.modifiedAt()));
    }

    private void pull(HttpExchange exchange, RequestBody body) throws IOException {
        String name = body.has("model") ? body.requireString("model") : body.optionalString("name", "");
        if (name.isBlank()) {
            throw ShapedError.ollama(400, "model is required");
        }
        boolean stream = body.optionalBoolean("stream", true);
        String digest = "sha256:" + OllamaModels.sha256(OllamaModels.normalize(name));
        context.admin().count("ollama.pull");
        models.add(name);
        if (!stream) {
            HttpIo.sendJson(exchange, 200, Json.object("status", "success"));
            return;
        }
        Duration delay = Pacing.tokenDelay(exchange, context);
        NdjsonStream out = NdjsonStream.open(exchange);
        out.send(Json.object("status", "pulling manifest"));
        long total = OllamaModels.SIZE;
        for (int step = 0; step <= 4; step++) {
            Pacing.sleep(delay);
            out.send(Json.object("status", "pulling " + digest.substring(7, 19), "digest", digest, "total", total,
                    "completed", total * step / 4));
        }
        out.send(Json.object("status", "verifying sha256 digest"));
        out.send(Json.object("status", "writing manifest"));
        out.send(Json.object("status", "success"));
        out.close();
    }

    private void delete(HttpExchange exchange, RequestBody body) throws IOException {
        String name = body.has("model") ? body.requireString("model") : body.optionalString("name", "");
        if (!models.delete(name)) {
            throw ShapedError.ollama(404, "model '" + name + "' not found");
        }
        context.admin().count("ollama.delete");
        exchange.sendResponseHeaders(200, -1);
    }
}
