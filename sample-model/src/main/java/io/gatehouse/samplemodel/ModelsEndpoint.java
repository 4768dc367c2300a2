package io.gatehouse.samplemodel;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.Map;

/**
 * {@code GET /v1/models} lists the served models, then the loaded LoRA adapters (as vLLM does: {@code root}
 * is the adapter's path, {@code parent} the base model); {@code GET /v1/models/{id}} returns one.
 */
final class ModelsEndpoint implements Endpoint {

    static final String PATH = "/v1/models";
    static final String OWNER = "gatehouse-sample";

    private final ServerContext context;

    ModelsEndpoint(ServerContext context) {
        this.context = context;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        if (path.equals(PATH)) {
            java.util.List<Object> data = new java.util.ArrayList<>(context.settings().models().stream()
                    .map(this::model).toList());
            new java.util.TreeMap<>(context.loras()).forEach((name, root) -> data.add(lora(name, root)));
            HttpIo.sendJson(exchange, 200, Json.object("object", "list", "data", data));
            return;
        }
        String id = path.substring(PATH.length() + 1);
        if (!context.serves(id)) {
            throw ApiException.modelNotFound(id);
        }
        String root = context.loras().get(id);
        HttpIo.sendJson(exchange, 200, root == null || context.settings().models().contains(id) ? model(id)
                : lora(id, root));
    }

    private Map<String, Object> lora(String id, String root) {
        Map<String, Object> m = model(id);
        m.put("root", root);
        m.put("parent", context.settings().models().get(0));
        return m;
    }

    private Map<String, Object> model(String id) {
        return Json.object("id", id, "object", "model", "created", context.startedAt(), "owned_by", OWNER);
    }
}
