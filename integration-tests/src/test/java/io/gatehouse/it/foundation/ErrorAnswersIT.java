package io.gatehouse.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.gatehouse.cli.dev.DevTokens;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gateway's own refusals are problem+json (RFC 9457) with the request id, on the real listener. */
class ErrorAnswersIT {

    private static final String PROBLEM_JSON = "application/problem+json";
    private static Stack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = Stack.start();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** Checks the common shape and returns the body. */
    private static JsonNode problem(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as("status; body: %s", response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).contains(PROBLEM_JSON);
        String requestId = response.headers().firstValue("Gatehouse-Request-Id").orElse(null);
        assertThat(requestId).as("Gatehouse-Request-Id").matches("[0-9a-f-]{36}");
        JsonNode body = Http.json(response);
        assertThat(body.path("status").asInt()).isEqualTo(status);
        assertThat(body.path("requestId").asText()).isEqualTo(requestId);
        return body;
    }

    @Test
    void aRequestWithoutATokenGets401ProblemWithABearerChallenge() {
        HttpResponse<String> response = Http.get(stack.uri("/v1/models"), null);

        JsonNode body = problem(response, 401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"gatehouse\"");
        assertThat(body.path("title").asText()).isEqualTo("Authentication required");
        assertThat(body.path("detail").asText())
                .isEqualTo("this endpoint requires a bearer token; send Authorization: Bearer <access token>");
        assertThat(body.path("policy").asText()).isEqualTo("auth");
        assertThat(body.path("rule").asText()).isEqualTo("missing-token");
        assertThat(body.path("instance").asText()).isEqualTo("/v1/models");
    }

    @Test
    void aTokenSignedWithAnotherKeyGets401InvalidTokenNamingTheBadSignature() throws Exception {
        // Same key id as the dev issuer's, different key: only the signature check can catch it.
        RSAKey impostor = new RSAKeyGenerator(2048).keyID(stack.devKey.getKeyID()).keyUse(KeyUse.SIGNATURE)
                .algorithm(JWSAlgorithm.RS256).generate();
        String forged = DevTokens.issue(impostor, stack.issuer.issuer(), Stack.AUDIENCE, "mallory",
                List.of("analysts"), Duration.ofHours(1), Instant.now());

        HttpResponse<String> response = Http.get(stack.uri("/v1/models"), forged);

        JsonNode body = problem(response, 401);
        assertThat(response.headers().firstValue("WWW-Authenticate").orElseThrow())
                .startsWith("Bearer realm=\"gatehouse\", error=\"invalid_token\", error_description=\"");
        assertThat(body.path("title").asText()).isEqualTo("Invalid token");
        assertThat(body.path("rule").asText()).isEqualTo("bad-signature");
        assertThat(body.path("detail").asText()).startsWith("the signature of the token does not verify with the key")
                .endsWith(" identity provider (kid " + stack.devKey.getKeyID() + "); the token was altered or not"
                        + " issued by " + stack.issuer.issuer());
        // The same request with a genuine token goes through: the refusal above was the signature's.
        assertThat(Http.get(stack.uri("/v1/models"), stack.token()).statusCode()).isEqualTo(200);
    }

    @Test
    void aBodyOverTheEndpointLimitGets413Problem() {
        int size = 1024 * 1024 + 1;
        String prefix = "{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":\"";
        String suffix = "\"}]}";
        String body = prefix + "x".repeat(size - prefix.length() - suffix.length()) + suffix;

        HttpResponse<String> response = Http.postJson(stack.uri("/v1/chat/completions"), stack.token(), body);

        JsonNode problem = problem(response, 413);
        assertThat(problem.path("title").asText()).isEqualTo("Payload too large");
        assertThat(problem.path("detail").asText()).isEqualTo("request body is 1048577 bytes; this endpoint accepts"
                + " at most 1048576 bytes (limits.maxBodyBytes)");
        assertThat(problem.path("policy").asText()).isEqualTo("limits");
        assertThat(problem.path("rule").asText()).isEqualTo("max-body-bytes");
    }

    @Test
    void aPathNoEndpointServesGets404Problem() {
        HttpResponse<String> response = Http.get(stack.uri("/nothing-here"), stack.token());

        JsonNode body = problem(response, 404);
        assertThat(body.path("title").asText()).isEqualTo("Not found");
        assertThat(body.path("detail").asText()).isEqualTo("no endpoint serves path '/nothing-here' on this listener");
    }

    @Test
    void aPathThatOnlySharesTheEndpointsPrefixGets404Problem() {
        HttpResponse<String> response = Http.get(stack.uri("/v1x/models"), stack.token());

        JsonNode body = problem(response, 404);
        assertThat(body.path("detail").asText()).isEqualTo("no endpoint serves path '/v1x/models'");
    }

    @Test
    void aCallerCannotChooseTheRequestId() {
        HttpResponse<String> response = Http.send(Http.request(stack.uri("/v1/models"), null)
                .header("Gatehouse-Request-Id", "chosen-by-caller").GET().build());

        JsonNode body = problem(response, 401);
        assertThat(body.path("requestId").asText()).isNotEqualTo("chosen-by-caller");
    }
}
