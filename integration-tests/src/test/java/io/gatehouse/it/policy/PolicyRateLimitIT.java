package io.gatehouse.it.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Alice's sixty-first chat request in a minute is refused with 429 and Retry-After (a fresh gateway, fresh budgets). */
class PolicyRateLimitIT {

    private static PolicyStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = PolicyStack.start();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void alicesSixtyFirstRequestInAMinuteIs429WithRetryAfterNamingTheRule() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String token = stack.token("alice", List.of("analysts"));
        HttpRequest request = HttpRequest.newBuilder(URI.create(stack.baseUrl() + "/chat/completions"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"demo-small\",\"max_tokens\":2,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                .timeout(Duration.ofSeconds(30)).build();
        for (int i = 1; i <= 60; i++) {
            assertThat(http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode()).as("request %d", i)
                    .isEqualTo(200);
        }

        HttpResponse<String> sixtyFirst = http.send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(sixtyFirst.statusCode()).isEqualTo(429);
        long retryAfter = Long.parseLong(sixtyFirst.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 60L);
        JsonNode problem = new ObjectMapper().readTree(sixtyFirst.body());
        assertThat(problem.path("policy").asText()).isEqualTo("analysts");
        assertThat(problem.path("rule").asText()).isEqualTo("chat-small");
        assertThat(problem.path("reason").asText()).isEqualTo("60 requests per 1m per identity exceeded");
        String bob = stack.token("bob", List.of("ml-engineers"));
        assertThat(http.send(HttpRequest.newBuilder(request, (n, v) -> !n.equalsIgnoreCase("Authorization"))
                .header("Authorization", "Bearer " + bob).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .as("bob's budget is his own").isEqualTo(200);
    }
}
