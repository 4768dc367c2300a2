package io.gatehouse.it.hardening;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * The model behind the gateway in the hardening tests: it keeps every request that reaches it (method,
 * target, body), so a test can say exactly what the model received. It answers a chat completion, or,
 * for {@code "stream":true}, a long SSE stream (for clients that never read).
 */
final class CountingModel implements AutoCloseable {

    static final String ANSWER = "{\"id\":\"chatcmpl-h\",\"object\":\"chat.completion\",\"created\":0,"
            + "\"model\":\"demo-small\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"counted\"},\"finish_reason\":\"stop\"}]}";
    /** Chunks of a streamed answer: with 1 KiB each, far more than socket buffers hold. */
    static final int STREAM_CHUNKS = 20_000;

    /** One request as it reached the model. */
    record Seen(String method, String target, String body) {
    }

    private final HttpServer server;
    final List<Seen> seen = new CopyOnWriteArrayList<>();

    private CountingModel() throws IOException {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "counting-model");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", exchange -> {
            try (exchange) {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                seen.add(new Seen(exchange.getRequestMethod(), exchange.getRequestURI().toString(), body));
                if (body.contains("\"stream\":true")) {
                    exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
                    exchange.sendResponseHeaders(200, 0);
                    String chunk = "data: {\"choices\":[{\"delta\":{\"content\":\"" + "x".repeat(1000) + "\"}}]}\n\n";
                    byte[] bytes = chunk.getBytes(StandardCharsets.UTF_8);
                    try (OutputStream out = exchange.getResponseBody()) {
                        for (int i = 0; i < STREAM_CHUNKS; i++) {
                            out.write(bytes);
                            out.flush();
                        }
                        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                    } catch (IOException cut) {
                        // the gateway cut the stream: expected for clients that never read
                    }
                    return;
                }
                byte[] answer = ANSWER.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                if ("HEAD".equals(exchange.getRequestMethod())) {
                    exchange.sendResponseHeaders(200, -1);
                    return;
                }
                exchange.sendResponseHeaders(200, answer.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer);
                }
            }
        });
        server.start();
    }

    static CountingModel start() throws IOException {
        return new CountingModel();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    int count() {
        return seen.size();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
