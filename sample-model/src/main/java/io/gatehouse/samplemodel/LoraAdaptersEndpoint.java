package io.gatehouse.samplemodel;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * vLLM's runtime LoRA endpoints (served when {@code VLLM_ALLOW_RUNTIME_LORA_UPDATING} is set):
 * {@code POST /v1/load_lora_adapter} with {@code {"lora_name", "lora_path"}} and
 * {@code POST /v1/unload_lora_adapter} with {@code {"lora_name"}}. As vLLM, success is a plain-text
 * sentence and a loaded adapter is then a model of its own (listed, and usable in {@code model});
 * failures are vLLM's JSON errors. Each call that changes the adapters is counted
 * ({@code vllm.load_lora_adapter}, {@code vllm.unload_lora_adapter}).
 */
final class LoraAdaptersEndpoint implements Endpoint {

    static final String LOAD = "/v1/load_lora_adapter";
    static final String UNLOAD = "/v1/unload_lora_adapter";

    private final ServerContext context;

    LoraAdaptersEndpoint(ServerContext context) {
        this.context = context;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        RequestBody body = HttpIo.readJson(exchange);
        String path = exchange.getRequestURI().getPath();
        if (!body.has("lora_name")) {
            throw vllmError(400, "BadRequestError", "Both 'lora_name' and 'lora_path' must be provided.");
        }
        String name = body.requireString("lora_name");
        String message;
        if (path.equals(LOAD)) {
            if (!body.has("lora_path")) {
                throw vllmError(400, "BadRequestError", "Both 'lora_name' and 'lora_path' must be provided.");
            }
            String loraPath = body.requireString("lora_path");
            if (context.serves(name)) {
                throw vllmError(400, "BadRequestError", "The lora adapter '" + name + "' has already been loaded.");
            }
            context.loras().put(name, loraPath);
            context.admin().count("vllm.load_lora_adapter");
            message = "Success: LoRA adapter '" + name + "' added successfully.";
        } else {
            if (context.loras().remove(name) == null) {
                throw vllmError(404, "NotFoundError", "The lora adapter '" + name + "' cannot be found.");
            }
            context.admin().count("vllm.unload_lora_adapter");
            message = "Success: LoRA adapter '" + name + "' removed successfully.";
        }
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** vLLM's error shape: {@code {"object":"error","message","type","param","code"}}. */
    private static ShapedError vllmError(int status, String type, String message) {
        return new ShapedError(status, message, Json.object("object", "error", "message", message, "type", type,
                "param", null, "code", status));
    }
}
