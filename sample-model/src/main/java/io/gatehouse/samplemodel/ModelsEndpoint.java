package io.gatehouse.samplemodel;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.Map;

/** {@code GET /v1/models} lists the served models; {@code GET /v1/models/{id}} returns one. */
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
            HttpIo.sendJson(exchange, 200, Json.object(
                    "object", "list",
                    "data", context.settings().models().stream().map(this::model).toList()));
            return;
        }
        String id = path.substring(PATH.length() + 1);
        if (!context.settings().models().contains(id)) {
            throw ApiException.modelNotFound(id);
        }
        HttpIo.sendJson(exchange, 200, model(id));
    }

    private Map<String, Object> model(String id) {
        return Json.object("id", id, "object", "model", "created", context.startedAt(), "owned_by", OWNER);
    }
}
