package io.gatehouse.it.foundation;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A tiny model stand-in on the JDK HttpServer that remembers every request's headers, waits
 * {@code delay} before its head, and answers a fixed chat completion.
 */
final class RecordingUpstream implements AutoCloseable {

    static final String ANSWER = "{\"id\":\"chatcmpl-rec\",\"object\":\"chat.completion\",\"created\":0,"
            + "\"model\":\"demo-small\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"recorded\"},\"finish_reason\":\"stop\"}]}";

    /** One request as it arrived. */
    record Seen(String method, String path, Map<String, List<String>> headers) {
    }

    private final HttpServer server;
    final List<Seen> seen = new CopyOnWriteArrayList<>();

    private RecordingUpstream(Duration delay) throws IOException {
        Stack.jdkHttpServersWithoutNagle();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "recording-upstream");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                seen.add(new Seen(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                        Map.copyOf(exchange.getRequestHeaders())));
                if (!delay.isZero()) {
                    Thread.sleep(delay.toMillis());
                }
                byte[] body = ANSWER.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
    }

    static RecordingUpstream start(Duration delay) throws IOException {
        return new RecordingUpstream(delay);
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
