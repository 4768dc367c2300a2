package io.gatehouse.agent;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Publishes the public key of the agent's upstream tokens at {@code /jwks.json} (and
 * {@code /.well-known/jwks.json}), for the model servers that verify them. Public data only; one small thread of
 * its own, apart from the event loops.
 */
final class JwksServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor;

    private JwksServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    static JwksServer start(ListenConfig listen, UpstreamTokens tokens) throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(listen.host(), listen.port()), 16);
        } catch (IOException e) {
            throw new IOException("cannot publish the JWKS on " + listen.host() + ":" + listen.port() + ": "
                    + e.getMessage(), e);
        }
        byte[] body = tokens.jwksJson().getBytes(StandardCharsets.UTF_8);
        for (String path : new String[] {"/jwks.json", "/.well-known/jwks.json"}) {
            server.createContext(path, exchange -> {
                try (exchange) {
                    if (!exchange.getRequestMethod().equals("GET") || !exchange.getRequestURI().getPath().equals(path)) {
                        exchange.sendResponseHeaders(404, -1);
                        return;
                    }
                    exchange.getResponseHeaders().set("Content-Type", "application/json");
                    exchange.getResponseHeaders().set("Cache-Control", "max-age=300");
                    exchange.sendResponseHeaders(200, body.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(body);
                    }
                }
            });
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "gatehouse-agent-jwks");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
        return new JwksServer(server, executor);
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
