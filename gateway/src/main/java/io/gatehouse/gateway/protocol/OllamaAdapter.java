package io.gatehouse.gateway.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import java.util.OptionalInt;

/**
 * Ollama's native API ({@code /api/*}; its OpenAI-compatible {@code /v1} is the {@code openai} adapter):
 * chat, generate and embed are inference; tags, ps and show list models; pull, push, create, copy and
 * delete change the models on the server ({@code model-admin}), and a generate with {@code keep_alive: 0}
 * and no prompt unloads one ({@code model-unload}). Ollama streams (NDJSON) unless the body says
 * {@code "stream": false}. The output cap is {@code options.num_predict}; the batch is the length of
 * embed's {@code input} array.
 */
public final class OllamaAdapter implements ProtocolAdapter {

    /** {@code keep_alive: 0}, {@code "0s"}, {@code "0m"}: unload now. Compiled once, not per request. */
    private static final java.util.regex.Pattern ZERO_KEEP_ALIVE = java.util.regex.Pattern.compile("0+[a-z]*");

    @Override
    public String name() {
        return "ollama";
    }

    @Override
    public Operation parse(GatewayRequest request) {
        String path = trim(request.path());
        String method = request.method();
        OperationKind kind = classify(method, path);
        if (request.body().length > 0) {
            JsonBodies.checkJsonHeaders(request);
        }
        JsonNode body = request.body().length == 0 ? null : parseJson(request.body());
        if (body == null) {
            if (kind == OperationKind.CHAT || kind == OperationKind.COMPLETION || kind == OperationKind.EMBEDDINGS) {
                throw new MalformedRequestException("a " + kind.configName() + " request needs a JSON body with a"
                        + " model");
            }
            return new Operation(name(), kind, null, false, kind == OperationKind.LIST_MODELS ? 0 : 1,
                    OptionalInt.empty());
        }
        String model = text(body, "model");
        if (model == null) {
            model = text(body, "name");
        }
        if (kind == OperationKind.COMPLETION && unloads(body)) {
            kind = OperationKind.MODEL_UNLOAD;
        }
        boolean streams = kind == OperationKind.CHAT || kind == OperationKind.COMPLETION || path.endsWith("/api/pull")
                || path.endsWith("/api/push") || path.endsWith("/api/create");
        boolean stream = streams && body.path("stream").asBoolean(true);
        int batch = 1;
        if (kind == OperationKind.EMBEDDINGS && body.path("input").isArray()) {
            batch = body.path("input").size();
        }
        if (kind == OperationKind.LIST_MODELS) {
            batch = 0;
        }
        OptionalInt maxTokens = OutputTokenBounds.of(body);
        return new Operation(name(), kind, model, stream, batch, maxTokens);
    }

    static OperationKind classify(String method, String path) {
        boolean post = "POST".equals(method);
        if (post && path.endsWith("/api/chat")) {
            return OperationKind.CHAT;
        }
        if (post && path.endsWith("/api/generate")) {
            return OperationKind.COMPLETION;
        }
        if (post && (path.endsWith("/api/embed") || path.endsWith("/api/embeddings"))) {
            return OperationKind.EMBEDDINGS;
        }
        if ("GET".equals(method) && (path.endsWith("/api/tags") || path.endsWith("/api/ps"))
                || post && path.endsWith("/api/show")) {
            return OperationKind.LIST_MODELS;
        }
        if (path.endsWith("/api/pull") || path.endsWith("/api/push") || path.endsWith("/api/create")
                || path.endsWith("/api/copy") || path.endsWith("/api/delete") || path.contains("/api/blobs/")) {
            return OperationKind.MODEL_ADMIN;
        }
        return OperationKind.RAW;
    }

    /** {@code {"model": "x", "keep_alive": 0}} with no prompt: Ollama unloads the model. */
    private static boolean unloads(JsonNode body) {
        JsonNode keepAlive = body.path("keep_alive");
        boolean zero = keepAlive.isNumber() && keepAlive.asDouble() == 0
                || keepAlive.isTextual() && ZERO_KEEP_ALIVE.matcher(keepAlive.asText()).matches();
        String prompt = text(body, "prompt");
        return zero && (prompt == null || prompt.isEmpty());
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.path(field);
        return v.isTextual() ? v.asText() : null;
    }

    static String trim(String path) {
        return path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
    }

    static JsonNode parseJson(byte[] body) {
        return JsonBodies.object(body);
    }
}
