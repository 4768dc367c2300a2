package io.gatehouse.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.cli.dev.DevTokens;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code limits.requestTimeout: 1s} in front of models slower than that. */
class RequestTimeoutIT {

    private static RecordingUpstream slowModel;
    private static Stack stack;

    @BeforeAll
    static void start() throws Exception {
        // A model that takes 10 s before its response head (the sample model answers non-streamed requests at once).
        slowModel = RecordingUpstream.start(Duration.ofSeconds(10));
        stack = Stack.start(new Stack.Options().requestTimeout("1s")
                .extra("slow", "/slow", "slow-model", slowModel.uri()));
        // First use costs time a 1 s budget cannot spare on a busy machine: each endpoint's auth step
        // fetches the JWKS, the gateway opens its TLS channel to the agent. Pay it here: a token for
        // another audience makes /slow's auth fetch the keys without the request reaching the model.
        assertThat(Http.get(stack.uri("/v1/models"), stack.token()).statusCode()).isEqualTo(200);
        String otherAudience = DevTokens.issue(stack.devKey, stack.issuer.issuer(), "someone-else", "alice",
                List.of(), Duration.ofMinutes(5), Instant.now());
        assertThat(Http.get(stack.uri("/slow/v1/models"), otherAudience).statusCode()).isEqualTo(401);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
        if (slowModel != null) {
            slowModel.close();
        }
    }

    @Test
    void aStreamLongerThanTheRequestTimeoutIsCutWithAnErrorEventAndNoDone() throws Exception {
        // 40 words at 100 ms: about 4 s of streaming against a 1 s budget.
        Http.SseReader stream = Http.stream(stack.uri("/v1/chat/completions"), stack.token(),
                Http.chat(Http.words(38), true), "X-Sample-Token-Delay-Ms", "100");

        List<String> lines = stream.done.get(30, TimeUnit.SECONDS);

        assertThat(stream.response.get().statusCode()).isEqualTo(200);
        String full = "You said: " + Http.words(38);
        String received = Http.SseReader.content(lines);
        assertThat(received).as("words received before the cut").isNotEmpty();
        assertThat(full).startsWith(received);
        assertThat(received.length()).isLessThan(full.length());
        assertThat(lines).doesNotContain("data: [DONE]");
        int error = lines.indexOf("event: error");
        assertThat(error).as("index of the error event in %s", lines).isPositive();
        assertThat(lines.get(error + 1)).isEqualTo(
                "data: {\"error\":{\"message\":\"the response stream was interrupted\",\"type\":\"gateway_error\"}}");
    }

    @Test
    void aModelSlowerThanTheRequestTimeoutGets504Problem() {
        long start = System.nanoTime();
        HttpResponse<String> response = Http.postJson(stack.uri("/slow/v1/chat/completions"), stack.token(),
                Http.chat("are you there", false));
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(response.statusCode()).as("status; body %s", response.body()).isEqualTo(504);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        String requestId = response.headers().firstValue("Gatehouse-Request-Id").orElseThrow();
        JsonNode body = Http.json(response);
        assertThat(body.path("status").asInt()).isEqualTo(504);
        assertThat(body.path("title").asText()).isEqualTo("Gateway timeout");
        assertThat(body.path("detail").asText()).startsWith("the model did not answer in time. ");
        assertThat(body.path("requestId").asText()).isEqualTo(requestId);
        // The gateway answered at its deadline, not when the model finally would have.
        assertThat(millis).as("ms until the 504").isLessThan(6_000);
        assertThat(slowModel.seen).hasSize(1);
    }
}
