package io.gatehouse.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The admin port: readiness follows the agent, and metrics count exchanges by endpoint, status and outcome. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminPortIT {

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

    @Test
    @Order(1)
    void healthzSaysUp() {
        HttpResponse<String> response = Http.get(stack.adminUri("/healthz"), null);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Http.json(response).path("status").asText()).isEqualTo("UP");
    }

    @Test
    @Order(2)
    void metricsCountRequestsByEndpointStatusAndOutcomeAfterTraffic() {
        String token = stack.token();
        assertThat(Http.get(stack.uri("/v1/models"), token).statusCode()).isEqualTo(200);
        assertThat(Http.get(stack.uri("/v1/models"), token).statusCode()).isEqualTo(200);
        assertThat(Http.get(stack.uri("/v1/models"), null).statusCode()).isEqualTo(401);

        HttpResponse<String> metrics = Http.get(stack.adminUri("/metrics"), null);

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
        List<String> requests = metrics.body().lines().filter(l -> l.startsWith("gatehouse_requests_total{")).toList();
        assertThat(requests).contains(
                "gatehouse_requests_total{endpoint=\"openai\",outcome=\"answered\",status=\"200\"} 2.0",
                "gatehouse_requests_total{endpoint=\"openai\",outcome=\"denied\",status=\"401\"} 1.0");
        assertThat(metrics.body()).contains("gatehouse_request_duration_seconds_count{endpoint=\"openai\"} 3");
    }

    @Test
    @Order(3)
    void readyzSaysReadyWhileTheAgentAnswersAndNotReadyWith503OnceItIsStopped() throws Exception {
        HttpResponse<String> ready = Http.get(stack.adminUri("/readyz"), null);

        assertThat(ready.statusCode()).isEqualTo(200);
        JsonNode readyBody = Http.json(ready);
        assertThat(readyBody.path("status").asText()).isEqualTo("READY");
        assertThat(readyBody.at("/agents/local").asText()).isEqualTo("reachable");

        stack.stopAgent();
        // Readiness caches its agent checks for 2 s: ask until the cached answer has expired.
        HttpResponse<String> notReady = ready;
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (notReady.statusCode() == 200 && System.nanoTime() < deadline) {
            Thread.sleep(250);
            notReady = Http.get(stack.adminUri("/readyz"), null);
        }

        assertThat(notReady.statusCode()).isEqualTo(503);
        JsonNode body = Http.json(notReady);
        assertThat(body.path("status").asText()).isEqualTo("NOT_READY");
        assertThat(body.path("routes").asText()).isEqualTo("started");
        assertThat(body.at("/agents/local").asText()).startsWith("unreachable: ");
    }
}
