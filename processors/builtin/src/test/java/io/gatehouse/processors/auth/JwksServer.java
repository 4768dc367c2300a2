package io.gatehouse.processors.auth;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A fake identity provider on loopback, on a free port: discovery at
 * {@code <issuer>/.well-known/openid-configuration}, keys at {@code /certs}, introspection at
 * {@code /introspect}. It counts requests and can misbehave on command.
 */
final class JwksServer implements AutoCloseable {

    /** How {@code /certs} answers. */
    enum Mode { KEYS, GARBAGE, HUGE, HANG, ERROR, HUGE_UNDECLARED }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-idp");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger hits = new AtomicInteger();
    private final AtomicInteger discoveryHits = new AtomicInteger();
    private final AtomicInteger introspections = new AtomicInteger();
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile JWKSet keys;
    private volatile Mode mode = Mode.KEYS;
    private volatile String discoveryIssuer;
    private volatile Function<String, String> introspection = form -> "{\"active\":false}";
    private volatile String lastIntrospectionAuthorization;

    JwksServer(JWK... keys) {
        serve(keys);
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.createContext("/certs", this::certs);
        server.createContext("/realms/test/.well-known/openid-configuration", exchange -> {
            discoveryHits.incrementAndGet();
            String issuer = discoveryIssuer == null ? issuer() : discoveryIssuer;
            answer(exchange, 200, "{\"issuer\":\"" + issuer + "\",\"jwks_uri\":\"" + url() + "\","
                    + "\"introspection_endpoint\":\"" + base() + "/introspect\"}");
        });
        server.createContext("/introspect", exchange -> {
            introspections.incrementAndGet();
            lastIntrospectionAuthorization = exchange.getRequestHeaders().getFirst("Authorization");
            String form = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            answer(exchange, 200, introspection.apply(form));
        });
        server.start();
    }

    private void certs(HttpExchange exchange) throws IOException {
        hits.incrementAndGet();
        switch (mode) {
            case KEYS -> answer(exchange, 200, keys.toString(true));
            case GARBAGE -> answer(exchange, 200, "<html>not a key set</html>");
            case ERROR -> answer(exchange, 500, "{\"error\":\"down\"}");
            case HUGE -> answer(exchange, 200, "{\"keys\":[],\"pad\":\"" + "x".repeat(10 * 1024 * 1024) + "\"}");
            case HUGE_UNDECLARED -> {
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, 0); // chunked: no Content-Length to refuse up front
                try (OutputStream out = exchange.getResponseBody()) {
                    byte[] block = "x".repeat(64 * 1024).getBytes(StandardCharsets.UTF_8);
                    out.write("{\"keys\":[],\"pad\":\"".getBytes(StandardCharsets.UTF_8));
                    for (int i = 0; i < 160; i++) {
                        out.write(block);
                    }
                    out.write("\"}".getBytes(StandardCharsets.UTF_8));
                } catch (IOException clientLeft) {
                    // the gateway stopped reading at its limit
                }
            }
            case HANG -> {
                try {
                    released.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.close();
            }
        }
    }

    private static void answer(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** Serves these keys (public parts only) from now on. */
    void serve(JWK... keys) {
        this.keys = new JWKSet(List.of(keys));
    }

    void mode(Mode mode) {
        this.mode = mode;
    }

    /** The discovery document names this issuer instead of the real one. */
    void discoveryIssuer(String issuer) {
        this.discoveryIssuer = issuer;
    }

    /** The introspection answer for a form body. */
    void introspection(Function<String, String> answer) {
        this.introspection = answer;
    }

    String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    URI url() {
        return URI.create(base() + "/certs");
    }

    /** An issuer whose discovery document this server serves. */
    String issuer() {
        return base() + "/realms/test";
    }

    int hits() {
        return hits.get();
    }

    int discoveryHits() {
        return discoveryHits.get();
    }

    int introspections() {
        return introspections.get();
    }

    String lastIntrospectionAuthorization() {
        return lastIntrospectionAuthorization;
    }

    /** Waits until {@code /certs} has been asked {@code count} times (background refreshes). */
    void awaitHits(int count) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (hits.get() < count && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** A URL on loopback where nothing listens. */
    static URI nothingListening() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/certs");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        released.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
