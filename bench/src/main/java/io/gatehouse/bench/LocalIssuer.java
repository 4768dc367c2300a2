package io.gatehouse.bench;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;

/**
 * A throw-away OIDC issuer on loopback for benchmarks: a fresh RS256 key (2048 bits, never written
 * to disk), its JWKS on {@code /jwks.json} from a JDK {@link HttpServer}, and tokens shaped like the
 * dev issuer's. {@link io.gatehouse.bench.AuthBenchmark} uses it in-process; {@code bench/run-http.sh}
 * runs {@link #main} as the gateway's identity provider.
 *
 * <p>Why here and not the CLI's own {@code DevIssuer}: nothing may depend on the CLI or the gateway
 * runtime outside tests (enforced), and the demo's issuer is fixed on port 8090, where a running demo
 * may already be.
 */
public final class LocalIssuer implements AutoCloseable {

    public static final String AUDIENCE = "gatehouse";

    private final HttpServer server;
    private final RSAKey key;
    private final String issuer;

    private LocalIssuer(HttpServer server, RSAKey key) {
        this.server = server;
        this.key = key;
        this.issuer = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Starts on 127.0.0.1:{@code port} (0 = any free port). */
    public static LocalIssuer start(int port) throws IOException {
        RSAKey key;
        try {
            key = new RSAKeyGenerator(2048).keyUse(KeyUse.SIGNATURE).keyID("bench-" + UUID.randomUUID())
                    .algorithm(JWSAlgorithm.RS256).generate();
        } catch (JOSEException e) {
            throw new IOException("cannot generate the benchmark signing key", e);
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        LocalIssuer issuer = new LocalIssuer(server, key);
        String jwks = new JWKSet(key.toPublicJWK()).toString();
        String discovery = "{\"issuer\":\"" + issuer.issuer + "\",\"jwks_uri\":\"" + issuer.jwksUrl() + "\"}";
        server.createContext("/jwks.json", ex -> answer(ex, jwks));
        server.createContext("/.well-known/openid-configuration", ex -> answer(ex, discovery));
        server.start();
        return issuer;
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

    public String jwksUrl() {
        return issuer + "/jwks.json";
    }

    /** The public half of the signing key. */
    public RSAKey publicKey() {
        return key.toPublicJWK();
    }

    /** An RS256 access token for {@code user}, valid from {@code now} for {@code ttl}. */
    public String token(String user, List<String> groups, Instant now, Duration ttl) {
        return token(user, groups, now, ttl, AUDIENCE);
    }

    /**
     * As {@link #token(String, List, Instant, Duration)}, but meant for {@code audience}: with anything
     * other than {@link #AUDIENCE}, a token that a resource server checking its audience must refuse.
     */
    public String token(String user, List<String> groups, Instant now, Duration ttl, String audience) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .audience(audience)
                .subject(UUID.nameUUIDFromBytes(("bench:" + user).getBytes(StandardCharsets.UTF_8)).toString())
                .claim("preferred_username", user)
                .claim("groups", groups)
                .claim("azp", "gatehouse-bench")
                .claim("acr", "1")
                .claim("sid", UUID.randomUUID().toString())
                .claim("typ", "Bearer")
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .jwtID(UUID.randomUUID().toString())
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims);
        try {
            jwt.sign(new RSASSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a benchmark token", e);
        }
        return jwt.serialize();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /**
     * {@code java -cp benchmarks.jar io.gatehouse.bench.LocalIssuer --port P --token-file F
     * [--other-audience-token-file G]}: serves the JWKS until killed, and writes one token (user
     * {@code bench}, group {@code analysts}, audience {@code gatehouse}, valid 1h) to {@code F},
     * atomically, once the JWKS is being served. With {@code G}, also (before {@code F}) the same token
     * for the audience {@code not-gatehouse}: {@code bench/run-http.sh} checks that every resource
     * server it measures refuses it.
     */
    public static void main(String[] args) throws Exception {
        int port = 18090;
        Path tokenFile = null;
        Path otherAudienceFile = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--token-file" -> tokenFile = Path.of(args[i + 1]);
                case "--other-audience-token-file" -> otherAudienceFile = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (usage: --port P --token-file FILE [--other-audience-token-file FILE])");
            }
        }
        if (tokenFile == null) {
            throw new IllegalArgumentException("usage: --port P --token-file FILE");
        }
        LocalIssuer issuer = start(port);
        Runtime.getRuntime().addShutdownHook(new Thread(issuer::close, "bench-issuer-shutdown"));
        Instant now = Instant.now();
        if (otherAudienceFile != null) {
            writeAtomically(otherAudienceFile,
                    issuer.token("bench", List.of("analysts"), now, Duration.ofHours(1), "not-" + AUDIENCE));
        }
        writeAtomically(tokenFile, issuer.token("bench", List.of("analysts"), now, Duration.ofHours(1)));
        System.err.println("bench issuer " + issuer.issuer() + " serving " + issuer.jwksUrl());
        new CountDownLatch(1).await();
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "token", ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    }
}
