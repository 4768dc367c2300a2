package io.gatehouse.samplemodel;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Reading request bodies and writing JSON responses. */
final class HttpIo {

    /** Largest request body read; a larger one gets 413 (the rest is read and discarded so the client sees the answer). */
    static final int MAX_REQUEST_BYTES = 8 * 1024 * 1024;

    static final String JSON = "application/json";
    static final String EVENT_STREAM = "text/event-stream; charset=utf-8";

    private HttpIo() {
    }

    static RequestBody readJson(HttpExchange exchange) throws IOException {
        return RequestBody.parse(readBody(exchange));
    }

    static byte[] readBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_REQUEST_BYTES + 1);
            if (body.length > MAX_REQUEST_BYTES) {
                in.transferTo(OutputStream.nullOutputStream());
                throw new ApiException(413, ApiException.INVALID_REQUEST, "request_too_large", null,
                        "The request body exceeds the sample model's limit of " + MAX_REQUEST_BYTES + " bytes.");
            }
            return body;
        }
    }

    static void sendJson(HttpExchange exchange, int status, Object value) throws IOException {
        byte[] bytes = Json.write(value).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", JSON);
        if (exchange.getRequestMethod().equals("HEAD")) { // a HEAD response has headers only
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    static void sendError(HttpExchange exchange, ApiException error) throws IOException {
        sendJson(exchange, error.status(), error.body());
    }
}
