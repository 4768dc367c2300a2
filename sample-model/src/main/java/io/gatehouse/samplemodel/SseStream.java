package io.gatehouse.samplemodel;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** A chunked {@code text/event-stream} response: one {@code data:} event per call, flushed at once. */
final class SseStream {

    private final OutputStream out;

    private SseStream(OutputStream out) {
        this.out = out;
    }

    static SseStream open(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", HttpIo.EVENT_STREAM);
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0); // length 0 = chunked transfer encoding
        return new SseStream(exchange.getResponseBody());
    }

    void send(Object json) throws IOException {
        sendData(Json.write(json));
    }

    void done() throws IOException {
        sendData("[DONE]");
        out.close();
    }

    private void sendData(String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
