package io.gatehouse.cli.dev;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A development token issuer: publishes the dev key's JWKS and a minimal OIDC discovery document, and
 * signs demo users in to the console ({@link DevLogin}).
 * It binds loopback only unless forced: anyone who can read the dev key can mint tokens, so it must
 * never face a network.
 */
public final class DevIssuer implements AutoCloseable {

    /** The audience of the access tokens it signs at sign-in, as {@code gatehouse token} does. */
    public static final String AUDIENCE = "gatehouse";

    private final HttpServer server;
    private final String issuer;

    private DevIssuer(HttpServer server, String issuer) {
        this.server = server;
        this.issuer = issuer;
    }

    public static DevIssuer start(String host, int port, RSAKey key, boolean allowNonLoopback) throws IOException {
        InetAddress address = InetAddress.getByName(host);
        if (!address.isLoopbackAddress() && !allowNonLoopback) {
            throw new IllegalArgumentException("the dev issuer binds loopback only (asked for " + host
                    + "); its key mints tokens for anyone who reads it. Use --force-dev-issuer-bind to override");
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(address, port), 16);
        String issuer = "http://" + host + ":" + server.getAddress().getPort();
        String jwks = new JWKSet(key.toPublicJWK()).toString();
        String discovery = "{\"issuer\":\"" + issuer + "\",\"jwks_uri\":\"" + issuer + "/jwks.json\","
                + "\"authorization_endpoint\":\"" + issuer + "/authorize\",\"token_endpoint\":\"" + issuer + "/token\","
                + "\"end_session_endpoint\":\"" + issuer + "/logout\",\"code_challenge_methods_supported\":[\"S256\"],"
                + "\"id_token_signing_alg_values_supported\":[\"RS256\"]}";
        // Sign-in for the console (authorization code + PKCE), the demo users listed on a page.
        DevLogin login = new DevLogin(key, issuer, AUDIENCE);
        server.createContext("/authorize", login::authorize);
        server.createContext("/token", login::token);
        server.createContext("/logout", login::logout);
        server.createContext("/jwks.json", ex -> answer(ex, jwks));
        server.createContext("/.well-known/openid-configuration", ex -> answer(ex, discovery));
        server.start();
        return new DevIssuer(server, issuer);
    }

    private static void answer(HttpExchange exchange, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    public String issuer() {
        return issuer;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
