package io.gatehouse.it.dialout;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.agent.AgentServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A service with {@code upstreamToken}: the agent sends the model server a JWT it signed itself, which verifies
 * against the agent's published JWKS and names the caller, the gateway's request id and the policy rule that
 * allowed the call, and expires within a minute.
 */
class UpstreamTokenIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final AtomicReference<String> SEEN = new AtomicReference<>();
    private static DialOutStack stack;
    private static HttpServer upstream;
    private static AgentServer agent;

    @BeforeAll
    static void start() throws Exception {
        stack = DialOutStack.start();
        // A model server that records the Authorization header it is sent and answers one chat completion.
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        upstream.createContext("/", exchange -> {
            SEEN.set(exchange.getRequestHeaders().getFirst("Authorization"));
            exchange.getRequestBody().readAllBytes();
            byte[] body = ("{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":0,\"model\":\"demo-small\","
                    + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"verified\"},"
                    + "\"finish_reason\":\"stop\"}]}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        upstream.start();
        agent = stack.startAgentWith("minting", "jwks:\n  host: 127.0.0.1\n  port: 0\n"
                + "services:\n  demo-model:\n    url: http://127.0.0.1:" + upstream.getAddress().getPort() + "\n"
                + "    upstreamToken:\n      audience: demo-model-server\n      ttl: 30s\n");
        stack.awaitAttached(1);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
        if (upstream != null) {
            upstream.stop(0);
        }
    }

    @Test
    void theMintedTokenVerifiesAgainstTheAgentsJwksAndCarriesCallerRequestIdAndDecidingRule() throws Exception {
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(stack.baseUrl() + "/chat/completions"))
                .header("Authorization", "Bearer " + stack.token("alice", "analysts"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"who am I\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        String requestId = answer.headers().firstValue("Gatehouse-Request-Id").orElseThrow();

        String authorization = SEEN.get();
        assertThat(authorization).startsWith("Bearer ey");
        SignedJWT jwt = SignedJWT.parse(authorization.substring("Bearer ".length()));
        String jwks = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.jwksPort() + "/jwks.json"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        ECKey key = (ECKey) JWKSet.parse(jwks).getKeyByKeyId(jwt.getHeader().getKeyID());
        assertThat(key).as("the token's key is in the agent's JWKS").isNotNull();
        assertThat(key.isPrivate()).isFalse();
        assertThat(jwt.verify(new ECDSAVerifier(key))).isTrue();

        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        assertThat(claims.getSubject()).isNotBlank();
        assertThat(claims.getStringListClaim("groups")).contains("analysts");
        assertThat(claims.getStringClaim("gatehouse_request_id")).isEqualTo(requestId);
        assertThat(claims.getStringClaim("gatehouse_policy")).isEqualTo("analysts");
        assertThat(claims.getStringClaim("gatehouse_rule")).isEqualTo("chat-small");
        assertThat(claims.getAudience()).containsExactly("demo-model-server");
        assertThat(claims.getExpirationTime().getTime() - claims.getIssueTime().getTime()).isLessThanOrEqualTo(60_000);
    }
}
