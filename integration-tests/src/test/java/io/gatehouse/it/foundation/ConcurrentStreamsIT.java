package io.gatehouse.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Many slow SSE streams through the gateway do not stall an unrelated request: the streamed response
 * never blocks a Netty event loop (DESIGN.md: the blocking implementation stalled a fast request
 * 1.3–1.7 s with only 12 streams).
 */
class ConcurrentStreamsIT {

    private static final int STREAMS = 100;
    /**
     * "You said: " + 118 prompt words = 120 streamed words; at 50 ms each a stream lasts about 6 s, which
     * leaves room for starting 100 streams on a loaded 2-core machine before the first one ends.
     */
    private static final int PROMPT_WORDS = 118;
    private static final String WORD_DELAY_MS = "50";
    private static final long STALL_BOUND_MILLIS = 1_000;

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
    void aFastRequestStaysFastWhileAHundredSlowStreamsRun() throws Exception {
        String token = stack.token();
        // Warm the path (JWKS fetch, agent connection, JIT of the streaming path) so what is timed below
        // is the gateway under load, not its first use.
        assertThat(Http.get(stack.uri("/v1/models"), token).statusCode()).isEqualTo(200);
        List<Http.SseReader> warmUp = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            warmUp.add(Http.stream(stack.uri("/v1/chat/completions"), token, Http.chat(Http.words(20), true),
                    "X-Sample-Token-Delay-Ms", "0"));
        }
        CompletableFuture.allOf(warmUp.stream().map(s -> s.done).toArray(CompletableFuture[]::new))
                .get(30, TimeUnit.SECONDS);

        List<Http.SseReader> streams = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            streams.add(Http.stream(stack.uri("/v1/chat/completions"), token,
                    Http.chat(Http.words(PROMPT_WORDS), true), "X-Sample-Token-Delay-Ms", WORD_DELAY_MS));
        }
        long started = System.nanoTime();
        for (Http.SseReader s : streams) {
            assertThat(s.firstEvent.await(30, TimeUnit.SECONDS)).as("first event of every stream").isTrue();
        }
        long allFirstEventsMillis = (System.nanoTime() - started) / 1_000_000;

        long sent = System.nanoTime();
        HttpResponse<String> models = Http.get(stack.uri("/v1/models"), token);
        long answered = System.nanoTime();
        long runningWhenAnswered = streams.stream().filter(s -> !s.done.isDone()).count();
        long sentChat = System.nanoTime();
        HttpResponse<String> chat = Http.postJson(stack.uri("/v1/chat/completions"), token, Http.chat("quick", false));
        long answeredChat = System.nanoTime();
        long sentDirect = System.nanoTime();
        HttpResponse<String> direct = Http.get(stack.model.baseUri().resolve("/v1/models"), stack.modelKey);
        long directMillis = (System.nanoTime() - sentDirect) / 1_000_000;
        long modelsMillis = (answered - sent) / 1_000_000;
        long chatMillis = (answeredChat - sentChat) / 1_000_000;
        System.out.println("unrelated request during " + STREAMS + " streams: " + modelsMillis + " ms (GET /v1/models), "
                + chatMillis + " ms (non-stream chat); for scale, GET /v1/models straight to the model: "
                + directMillis + " ms; all first events after " + allFirstEventsMillis + " ms");

        CompletableFuture.allOf(streams.stream().map(s -> s.done).toArray(CompletableFuture[]::new))
                .get(60, TimeUnit.SECONDS);

        assertThat(direct.statusCode()).isEqualTo(200);
        assertThat(models.statusCode()).isEqualTo(200);
        assertThat(models.body()).contains("\"demo-small\"");
        assertThat(chat.statusCode()).isEqualTo(200);
        assertThat(Http.json(chat).at("/choices/0/message/content").asText()).isEqualTo("You said: quick");
        assertThat(runningWhenAnswered).as("streams still running when the unrelated request was answered (starting"
                + " all streams took " + allFirstEventsMillis + " ms of their ~6 s)").isEqualTo(STREAMS);
        assertThat(streams).allSatisfy(s -> assertThat(s.endNanos).as("a stream's end").isGreaterThan(answered));
        assertThat(modelsMillis).as("latency of GET /v1/models during the streams (ms)").isLessThan(STALL_BOUND_MILLIS);
        assertThat(chatMillis).as("latency of a non-stream chat during the streams (ms)").isLessThan(STALL_BOUND_MILLIS);
        for (Http.SseReader s : streams) {
            List<String> lines = s.done.get();
            assertThat(s.response.get().statusCode()).isEqualTo(200);
            assertThat(lines.stream().filter(l -> l.startsWith("data:")).reduce((a, b) -> b)).contains("data: [DONE]");
            assertThat(Http.SseReader.content(lines)).isEqualTo("You said: " + Http.words(PROMPT_WORDS));
        }
    }
}
