package io.gatehouse.gateway.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import java.util.OptionalInt;

/**
 * The OpenAI API as served by vLLM, llama.cpp, Ollama (/v1) and TGI: classifies the operation by
 * method and path, and reads model, stream, batch size and token cap from the JSON body. vLLM's LoRA
 * admin names the adapter ({@code lora_name}) as the model; TGI's and llama.cpp's own routes are
 * {@link NativeRoutes}.
 */
public final class OpenAiAdapter implements ProtocolAdapter {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** {@code GET /v1/models/{id}}: compiled once, not per request. */
    private static final java.util.regex.Pattern ONE_MODEL = java.util.regex.Pattern.compile(".*/models/[^/]+");

    @Override
    public String name() {
        return "openai";
    }

    @Override
    public boolean openAiErrors() {
        return true;
    }

    @Override
    public Operation parse(GatewayRequest request) {
        OperationKind kind = classify(request.method(), request.path());
        if (kind == OperationKind.RAW) { // TGI's and llama.cpp's own routes beside their /v1
            String path = request.path();
            Operation native_ = NativeRoutes.parse(request, path,
                    request.body().length == 0 ? null : parseJson(request));
            if (native_ != null) {
                return native_;
            }
        }
        // A file upload (/v1/files) is multipart/form-data, not JSON: nothing in it to read.
        boolean multipart = request.headers().first("Content-Type")
                .map(t -> t.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/")).orElse(false);
        JsonNode body = request.body().length == 0 || multipart ? null : parseJson(request);
        if (body == null) {
            return new Operation(name(), kind, null, false, kind == OperationKind.LIST_MODELS ? 0 : 1,
                    OptionalInt.empty());
        }
        String model = body.path("model").isTextual() ? body.path("model").asText() : null;
        if (model == null && body.path("lora_name").isTextual()) { // vLLM: the adapter is the model loaded
            model = body.path("lora_name").asText();
        }
        boolean stream = body.path("stream").asBoolean(false);
        return new Operation(name(), kind, model, stream, batchOf(kind, body), maxTokensOf(body));
    }

    static OperationKind classify(String method, String path) {
        String p = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        boolean post = "POST".equals(method);
        if (p.endsWith("/chat/completions") && post) {
            return OperationKind.CHAT;
        }
        if (p.endsWith("/completions") && post) {
            return OperationKind.COMPLETION;
        }
        if (p.endsWith("/embeddings") && post) {
            return OperationKind.EMBEDDINGS;
        }
        if (p.endsWith("/responses") && post) {
            return OperationKind.RESPONSES;
        }
        if (p.endsWith("/models") && "GET".equals(method) || ONE_MODEL.matcher(p).matches() && "GET".equals(method)) {
            return OperationKind.LIST_MODELS;
        }
        if (p.contains("/batches")) {
            return OperationKind.BATCH_CREATE;
        }
        if (p.contains("/files")) {
            return OperationKind.FILE_UPLOAD;
        }
        if (p.contains("/fine_tuning/")) {
            return OperationKind.FINE_TUNE;
        }
        // Model administration on vLLM (LoRA adapters) and llama.cpp (router mode): never ordinary traffic.
        if (p.endsWith("/load_lora_adapter") || p.endsWith("/models/load")) {
            return OperationKind.MODEL_LOAD;
        }
        if (p.endsWith("/unload_lora_adapter") || p.endsWith("/models/unload")) {
            return OperationKind.MODEL_UNLOAD;
        }
        if (p.endsWith("/models") && (post || "DELETE".equals(method))) {
            return OperationKind.MODEL_ADMIN;
        }
        return OperationKind.RAW;
    }

    private static JsonNode parseJson(GatewayRequest request) {
        try {
            JsonNode node = JSON.readTree(request.body());
            if (node == null || !node.isObject()) {
                throw new MalformedRequestException("the request body must be a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new MalformedRequestException("the request body is not valid JSON (line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        } catch (java.io.IOException e) {
            throw new MalformedRequestException("the request body could not be read as JSON");
        }
    }

    private static int batchOf(OperationKind kind, JsonNode body) {
        int inputs = 1;
        JsonNode input = switch (kind) {
            case COMPLETION -> body.path("prompt");
            case EMBEDDINGS, RESPONSES -> body.path("input");
            default -> null;
        };
        if (input != null && input.isArray()) {
            // An array of token ids is one prompt; an array of strings or of token arrays is a batch.
            boolean tokenIds = input.size() > 0 && input.get(0).isNumber();
            inputs = tokenIds ? 1 : input.size();
        }
        int n = body.path("n").canConvertToInt() ? Math.max(1, body.path("n").asInt(1)) : 1;
        return Math.multiplyExact(inputs, n);
    }

    private static OptionalInt maxTokensOf(JsonNode body) {
        for (String field : new String[] {"max_completion_tokens", "max_tokens", "max_output_tokens"}) {
            JsonNode v = body.path(field);
            if (v.canConvertToInt()) {
                return OptionalInt.of(v.asInt());
            }
        }
        return OptionalInt.empty();
    }
}
