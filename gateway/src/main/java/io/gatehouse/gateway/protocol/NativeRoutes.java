package io.gatehouse.gateway.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import java.util.OptionalInt;

/**
 * The native routes that TGI and llama.cpp server serve beside their OpenAI-compatible {@code /v1}, so an
 * {@code openai} endpoint in front of either understands both. Their operations name their dialect as
 * protocol ({@code tgi}, {@code llama-cpp}) because the output cap lives elsewhere in the body, and a policy
 * that injects one must write it there:
 * <ul>
 *   <li>TGI: {@code POST /generate}, {@code POST /generate_stream} (always a stream) are completions, cap
 *       {@code parameters.max_new_tokens}, batch {@code parameters.best_of}; {@code GET /info} describes the
 *       model (list-models). TGI serves one model and its requests name none.</li>
 *   <li>llama.cpp: {@code POST /completion} is a completion, cap {@code n_predict} (negative: unbounded), batch
 *       the length of a {@code prompt} array of strings; {@code GET /props} describes the server (list-models);
 *       {@code POST /props} changes it and {@code /slots} shows every slot's prompt, other callers' included,
 *       or saves, restores and erases them: model-admin.</li>
 * </ul>
 */
final class NativeRoutes {

    static final String TGI = "tgi";
    static final String LLAMA_CPP = "llama-cpp";

    private NativeRoutes() {
    }

    /** The operation of a native route, or null when the path is none of them. */
    static Operation parse(GatewayRequest request, String path, JsonNode body) {
        String method = request.method();
        boolean post = "POST".equals(method);
        if (post && (path.endsWith("/generate") || path.endsWith("/generate_stream"))) {
            JsonNode parameters = body == null ? null : body.path("parameters");
            boolean stream = path.endsWith("/generate_stream");
            int batch = parameters != null && parameters.path("best_of").canConvertToInt()
                    ? Math.max(1, parameters.path("best_of").asInt()) : 1;
            return new Operation(TGI, OperationKind.COMPLETION, null, stream, batch,
                    cap(parameters == null ? null : parameters.get("max_new_tokens")));
        }
        if ("GET".equals(method) && path.endsWith("/info")) {
            return new Operation(TGI, OperationKind.LIST_MODELS, null, false, 0, OptionalInt.empty());
        }
        if (post && path.endsWith("/completion")) {
            JsonNode prompt = body == null ? null : body.get("prompt");
            int batch = prompt != null && prompt.isArray() && prompt.size() > 0 && prompt.get(0).isTextual()
                    ? prompt.size() : 1;
            String model = body != null && body.path("model").isTextual() ? body.path("model").asText() : null;
            boolean stream = body != null && body.path("stream").asBoolean(false);
            return new Operation(LLAMA_CPP, OperationKind.COMPLETION, model, stream, batch,
                    cap(body == null ? null : body.get("n_predict")));
        }
        if (path.endsWith("/props")) {
            return new Operation(LLAMA_CPP, "GET".equals(method) ? OperationKind.LIST_MODELS : OperationKind.MODEL_ADMIN,
                    null, false, "GET".equals(method) ? 0 : 1, OptionalInt.empty());
        }
        if (path.endsWith("/slots") || path.contains("/slots/")) {
            return new Operation(LLAMA_CPP, OperationKind.MODEL_ADMIN, null, false, 1, OptionalInt.empty());
        }
        return null;
    }

    /** A cap of zero or more tokens; negative or absent means none (unbounded). */
    private static OptionalInt cap(JsonNode value) {
        return value != null && value.canConvertToInt() && value.asInt() >= 0 ? OptionalInt.of(value.asInt())
                : OptionalInt.empty();
    }
}
