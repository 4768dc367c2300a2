package io.gatehouse.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tiny model server on a free loopback port. It records what it received and answers:
 * {@code /v1/echo} a small JSON body with Content-Length; {@code /v1/sse} five SSE events 200 ms
 * apart, flushed one by one; {@code /v1/endless} SSE events until the client goes away
 * ({@code ?size=N} writes N-byte events without pause); {@code /v1/hang} nothing for 5 s;
 * {@code /v1/broken} one event, then the connection breaks. Calls are told apart by {@code ?id=}.
 */
public final class TinyModel implements AutoCloseable {

    public static final String ECHO_BODY = "{\"answer\":\"hello\"}";

    public record Received(String method, String pathAndQuery, Map<String, List<String>> headers, byte[] body) {
        public List<String> header(String name) {
            return headers.getOrDefault(name, List.of());
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tiny-model");
        t.setDaemon(true);
        return t;
    });
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Map<String, Long> finishedNanos = new ConcurrentHashMap<>();
    private final Map<String, CountDownLatch> disconnected = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> written = new ConcurrentHashMap<>();

    public TinyModel() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public List<Received> receivedWithId(String id) {
        List<Received> out = new ArrayList<>();
        for (Received r : received) {
            if (r.pathAndQuery().contains("id=" + id)) {
                out.add(r);
            }
        }
        return out;
    }

    /** When {@code /v1/sse?id=ID} wrote its last event, by {@link System#nanoTime()}; null until then. */
    public Long sseFinishedNanos(String id) {
        return finishedNanos.get(id);
    }

    /** Counts down when {@code /v1/endless?id=ID} could no longer write: the client went away. */
    public CountDownLatch disconnected(String id) {
        return disconnected.computeIfAbsent(id, k -> new CountDownLatch(1));
    }

    /** Bytes {@code /v1/endless?id=ID} managed to write so far. */
    public long written(String id) {
        return written.computeIfAbsent(id, k -> new AtomicLong()).get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        URI uri = exchange.getRequestURI();
        byte[] body = exchange.getRequestBody().readAllBytes();
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k, List.copyOf(v)));
        received.add(new Received(exchange.getRequestMethod(), uri.getRawPath()
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()), headers, body));
        String id = param(uri, "id");
        try {
            switch (uri.getPath()) {
                case "/v1/echo" -> echo(exchange);
                case "/v1/sse" -> sse(exchange, id);
                case "/v1/endless" -> endless(exchange, id, param(uri, "size"));
                case "/v1/hang" -> {
                    sleep(5000);
                    echo(exchange);
                }
                case "/v1/broken" -> broken(exchange);
                default -> {
                    exchange.sendResponseHeaders(404, -1);
                    exchange.close();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void echo(HttpExchange exchange) throws IOException {
        byte[] bytes = ECHO_BODY.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.getResponseHeaders().add("X-Model", "tiny");
        exchange.getResponseHeaders().add("Keep-Alive", "timeout=5");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private void sse(HttpExchange exchange, String id) throws IOException, InterruptedException {
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            for (int i = 1; i <= 5; i++) {
                out.write(("data: {\"n\":" + i + "}\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                if (i < 5) {
                    sleep(200);
                }
            }
            if (id != null) {
                finishedNanos.put(id, System.nanoTime());
            }
        }
    }

    private void endless(HttpExchange exchange, String id, String size) throws InterruptedException {
        AtomicLong count = written.computeIfAbsent(String.valueOf(id), k -> new AtomicLong());
        byte[] event = size == null
                ? "data: {\"tick\":true}\n\n".getBytes(StandardCharsets.UTF_8)
                : ("data: " + "x".repeat(Integer.parseInt(size)) + "\n\n").getBytes(StandardCharsets.UTF_8);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try {
            exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            while (System.nanoTime() < deadline && count.get() < 512L * 1024 * 1024) {
                out.write(event);
                out.flush();
                count.addAndGet(event.length);
                if (size == null) {
                    sleep(50);
                }
            }
            out.close();
        } catch (IOException clientGone) {
            disconnected(String.valueOf(id)).countDown();
            exchange.close();
        }
    }

    private static void broken(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        out.write("data: {\"n\":1}\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        // The model crashes mid-stream: the chunked body never gets its terminating chunk.
        throw new IllegalStateException("model crashed");
    }

    private static String param(URI uri, String name) {
        String query = uri.getRawQuery();
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return pair.substring(eq + 1);
            }
        }
        return null;
    }

    private static void sleep(long millis) throws InterruptedException {
        Thread.sleep(millis);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
