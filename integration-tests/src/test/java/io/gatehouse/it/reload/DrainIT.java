package io.gatehouse.it.reload;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM to a gateway process ({@code gatehouse serve}) while streams run: {@code /readyz} turns 503 at
 * once, new requests are refused (503, recorded) after {@code shutdown.drainDelay}, the streams finish
 * whole, and the process exits 0 with every exchange recorded.
 */
class DrainIT {

    private static final int STREAMS = 20;
    /** "You said: " + 30 words at 100 ms: about 3 s, longer than the drain delay of 1 s. */
    private static final int WORDS = 30;

    private ReloadStack stack;

    @AfterEach
    void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void sigtermDuringStreamsDrainsThemAndExitsZeroWithEveryExchangeRecorded() throws Exception {
        stack = ReloadStack.start();
        stack.writeConfig("shutdown:\n  drainDelay: 1s\n  drainTimeout: 30s\n");
        stack.startChild();
        // Warm the path so the streams below start together.
        assertThat(stack.send(stack.post("/v1/chat/completions", stack.alice(), ReloadStack.chat("warm", false)))
                .statusCode()).isEqualTo(200);

        List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            streams.add(stack.stream(WORDS, 100));
        }
        awaitInFlight(STREAMS);
        stack.child.destroy(); // SIGTERM
        int readyz = awaitReadyzNot200();
        Thread.sleep(1_200); // past shutdown.drainDelay: the listener still accepts, the endpoints refuse
        HttpResponse<String> late = stack.send(stack.post("/v1/chat/completions", stack.alice(),
                ReloadStack.chat("too late", false)));
        assertThat(stack.child.waitFor(60, TimeUnit.SECONDS)).as(stack.log()).isTrue();

        assertThat(readyz).isEqualTo(503);
        assertThat(late.statusCode()).isEqualTo(503);
        assertThat(ReloadStack.json(late.body()).path("title").asText()).isEqualTo("Shutting down");
        assertThat(stack.child.exitValue()).as(stack.log()).isZero();
        assertThat(stack.log()).contains("gatehouse: stopped after a complete drain");
        String expected = "You said: " + ReloadStack.words(WORDS);
        List<String> ids = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> s : streams) {
            HttpResponse<String> r = s.get(10, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(ReloadStack.streamedText(r.body())).isEqualTo(expected);
            ids.add(r.headers().firstValue("Gatehouse-Request-Id").orElseThrow());
        }

        // Every exchange is in the store: read it back through a gateway started again on the same data.
        stack.startInJvm();
        for (String id : ids) {
            JsonNode record = stack.record(id);
            assertThat(record).as("record of stream " + id).isNotNull();
            assertThat(record.path("complete").asBoolean()).isTrue();
            assertThat(record.path("outcome").asText()).isEqualTo("answered");
        }
        JsonNode refused = stack.record(late.headers().firstValue("Gatehouse-Request-Id").orElseThrow());
        assertThat(refused.path("decision").asText()).isEqualTo("denied");
        assertThat(refused.path("status").asInt()).isEqualTo(503);
    }

    private void awaitInFlight(int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            JsonNode status = ReloadStack.json(stack.admin("GET", "/admin/config", stack.dave()).body());
            if (status.path("endpoints").path(0).path("inFlight").asLong() >= n) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the streams did not start:\n" + stack.log());
    }

    private int awaitReadyzNot200() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            int status = stack.http.send(HttpRequest.newBuilder(stack.adminUri("/readyz"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status != 200) {
                return status;
            }
            Thread.sleep(20);
        }
        return 200;
    }
}
