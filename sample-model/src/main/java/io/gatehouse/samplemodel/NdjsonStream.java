package io.gatehouse.samplemodel;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** A chunked {@code application/x-ndjson} response (Ollama's streams): one JSON object per line, flushed at once. */
final class NdjsonStream {

    static final String CONTENT_TYPE = "application/x-ndjson";

    private final OutputStream out;

    private NdjsonStream(OutputStream out) {
        this.out = out;
    }

    static NdjsonStream open(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(200, 0); // length 0 = chunked transfer encoding
        return new NdjsonStream(exchange.getResponseBody());
    }

    void send(Object json) throws IOException {
        out.write((Json.write(json) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    void close() throws IOException {
        out.close();
    }
}
