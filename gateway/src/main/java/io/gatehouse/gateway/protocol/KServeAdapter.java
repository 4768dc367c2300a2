package io.gatehouse.gateway.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The KServe v2 / Open Inference Protocol over HTTP (Triton, KServe, MLServer):
 * {@code POST /v2/models/{m}[/versions/{v}]/infer} is {@code infer} with batch = the largest
 * {@code inputs[*].shape[0]}; {@code generate} and {@code generate_stream} (Triton's extension) are
 * {@code completion}; model metadata, readiness and {@code /v2/repository/index} list models;
 * {@code /v2/repository/models/{m}/load|unload} are {@code model-load} and {@code model-unload}; the rest
 * of the repository, shared-memory, trace and logging extensions are {@code model-admin}. Server health
 * and metadata are {@code raw}. With the binary-data extension ({@code Inference-Header-Content-Length})
 * only the JSON header is read.
 */
public final class KServeAdapter implements ProtocolAdapter {

    private static final Pattern MODEL = Pattern.compile(".*?/v2/models/([^/]+)(?:/versions/([^/]+))?(/[a-z_]+)?");
    private static final Pattern REPOSITORY_MODEL = Pattern.compile(".*?/v2/repository/models/([^/]+)/(load|unload)");

    @Override
    public String name() {
        return "kserve-v2";
    }

    @Override
    public Operation parse(GatewayRequest request) {
        String path = OllamaAdapter.trim(request.path());
        String method = request.method();
        Matcher repository = REPOSITORY_MODEL.matcher(path);
        if (repository.matches()) {
            OperationKind kind = repository.group(2).equals("load") ? OperationKind.MODEL_LOAD : OperationKind.MODEL_UNLOAD;
            return new Operation(name(), kind, repository.group(1), false, 1, OptionalInt.empty());
        }
        if (path.endsWith("/v2/repository/index")) {
            return new Operation(name(), OperationKind.LIST_MODELS, null, false, 0, OptionalInt.empty());
        }
        if (path.contains("/v2/repository") || path.contains("/v2/systemsharedmemory")
                || path.contains("/v2/cudasharedmemory") || path.contains("/v2/trace") || path.contains("/v2/logging")) {
            return new Operation(name(), OperationKind.MODEL_ADMIN, null, false, 1, OptionalInt.empty());
        }
        Matcher m = MODEL.matcher(path);
        if (!m.matches()) {
            return Operation.raw(name());
        }
        String model = m.group(1);
        String action = m.group(3) == null ? "" : m.group(3).substring(1);
        switch (action) {
            case "infer" -> {
                if (!"POST".equals(method)) {
                    return Operation.raw(name());
                }
                return new Operation(name(), OperationKind.INFER, model, false, batchOf(header(request)),
                        OptionalInt.empty());
            }
            case "generate", "generate_stream" -> {
                if (!"POST".equals(method)) {
                    return Operation.raw(name());
                }
                JsonNode body = header(request);
                JsonNode max = body.path("parameters").path("max_tokens");
                return new Operation(name(), OperationKind.COMPLETION, model, action.equals("generate_stream"), 1,
                        max.canConvertToInt() ? OptionalInt.of(max.asInt()) : OptionalInt.empty());
            }
            case "", "ready", "config", "stats" -> {
                return new Operation(name(), OperationKind.LIST_MODELS, model, false, 0, OptionalInt.empty());
            }
            default -> {
                return Operation.raw(name());
            }
        }
    }

    /** The JSON part of the body: all of it, or the header the binary extension announces. */
    private static JsonNode header(GatewayRequest request) {
        byte[] body = request.body();
        String length = request.headers().first("Inference-Header-Content-Length").orElse(null);
        if (length != null) {
            int n;
            try {
                n = Integer.parseInt(length.trim());
            } catch (NumberFormatException e) {
                throw new MalformedRequestException("Inference-Header-Content-Length is not a number: '" + length + "'");
            }
            if (n < 0 || n > body.length) {
                throw new MalformedRequestException("Inference-Header-Content-Length " + n + " does not fit the "
                        + body.length + "-byte body");
            }
            body = java.util.Arrays.copyOf(body, n);
        }
        if (body.length == 0) {
            throw new MalformedRequestException("an inference request needs a JSON body with inputs");
        }
        return OllamaAdapter.parseJson(body);
    }

    /** The largest {@code shape[0]} of the inputs; every input must have a name and a shape. */
    private static int batchOf(JsonNode body) {
        JsonNode inputs = body.path("inputs");
        if (!inputs.isArray() || inputs.isEmpty()) {
            throw new MalformedRequestException("an inference request needs a non-empty 'inputs' array");
        }
        int batch = 1;
        for (int i = 0; i < inputs.size(); i++) {
            JsonNode input = inputs.get(i);
            JsonNode shape = input.path("shape");
            if (!input.path("name").isTextual() || !shape.isArray()) {
                throw new MalformedRequestException("inputs[" + i + "] needs a 'name' and a 'shape'");
            }
            if (!shape.isEmpty()) {
                if (!shape.get(0).canConvertToInt() || shape.get(0).asInt() < 0) {
                    throw new MalformedRequestException("inputs[" + i + "].shape[0] is not a size");
                }
                batch = Math.max(batch, shape.get(0).asInt());
            }
        }
        return batch;
    }
}
