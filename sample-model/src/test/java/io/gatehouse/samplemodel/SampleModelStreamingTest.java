package io.gatehouse.samplemodel;

import static io.gatehouse.samplemodel.TestClient.at;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.samplemodel.TestClient.Event;
import io.gatehouse.samplemodel.TestClient.SseRecorder;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SampleModelStreamingTest {

    private static final String TEN_WORDS = "one two three four five six seven eight nine ten";

    private SampleModelServer server;
    private TestClient client;

    private void start(SampleModelSettings settings) throws Exception {
        server = SampleModelServer.start(settings);
        client = new TestClient(server);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static String chat(String text, String extra) {
        return "{\"model\":\"demo-small\",\"stream\":true," + extra + "\"messages\":[{\"role\":\"user\",\"content\":\""
                + text + "\"}]}";
    }

    @Test
    void streamSendsOneEventPerWordTheFirstBeforeTheLastWordIsProduced() throws Exception {
        start(SampleModelSettings.loopback(TestClient.KEY).withTokenDelay(Duration.ofMillis(100)));

        SseRecorder slow = client.stream("/v1/chat/completions", chat(TEN_WORDS, ""));
        slow.firstEvent.get(30, TimeUnit.SECONDS);
        // A request sent only after the first event finishes while the stream still has ~1 s of words to go:
        // the first event was delivered on its own, not buffered with the rest.
        HttpResponse<String> between = client.get("/v1/models");
        long betweenDone = System.nanoTime();
        HttpResponse<SseRecorder> response = slow.await();

        assertThat(between.statusCode()).isEqualTo(200);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/event-stream; charset=utf-8");
        List<Map<String, Object>> words = slow.wordChunks();
        assertThat(words).hasSize(12);
        Event lastWord = slow.events().get(11);
        assertThat(betweenDone).isLessThan(lastWord.arrivedAt());
        assertThat(slow.events().get(0).arrivedAt()).isLessThan(betweenDone);

        assertThat(words.get(0).get("object")).isEqualTo("chat.completion.chunk");
        assertThat((Object) at(words.get(0), "choices", 0, "delta")).isEqualTo(Map.of("role", "assistant", "content", "You"));
        assertThat((Object) at(words.get(1), "choices", 0, "delta")).isEqualTo(Map.of("content", " said:"));
        assertThat(words.stream().map(w -> (String) at(w, "choices", 0, "delta", "content")).collect(Collectors.joining()))
                .isEqualTo("You said: " + TEN_WORDS);
        assertThat(words).extracting(w -> w.get("id")).containsOnly(words.get(0).get("id"));
        assertThat(words).allSatisfy(w -> assertThat(w).doesNotContainKey("usage"));
    }

    @Test
    void streamEndsWithAStopChunkAndDoneAsSeparateEvents() throws Exception {
        start(SampleModelSettings.loopback(TestClient.KEY).withTokenDelay(Duration.ZERO));

        SseRecorder stream = client.stream("/v1/chat/completions", chat("hi", ""));
        stream.await();

        List<Event> events = stream.events();
        assertThat(events).hasSize(5);
        assertThat((Object) at(events.get(3).json(), "choices", 0)).isEqualTo(
                Json.object("index", 0L, "delta", Map.of(), "logprobs", null, "finish_reason", "stop"));
        assertThat(events.get(4).data()).isEqualTo("[DONE]");
        // each event is one "data:" line followed by a blank line
        assertThat(stream.lines).hasSize(10);
        for (int i = 0; i < 10; i += 2) {
            assertThat(stream.lines.get(i)).startsWith("data: ");
            assertThat(stream.lines.get(i + 1)).isEmpty();
        }
    }

    @Test
    void tokenDelayHeaderSlowsThatStreamOnly() throws Exception {
        start(SampleModelSettings.loopback(TestClient.KEY).withTokenDelay(Duration.ZERO));

        SseRecorder slow = client.stream("/v1/chat/completions", chat(TEN_WORDS, ""), "X-Sample-Token-Delay-Ms", "100");
        slow.firstEvent.get(30, TimeUnit.SECONDS);
        SseRecorder fast = client.stream("/v1/chat/completions", chat(TEN_WORDS, ""));
        fast.await();
        long fastDone = System.nanoTime();
        slow.await();

        assertThat(fast.wordChunks()).hasSize(12);
        assertThat(slow.wordChunks()).hasSize(12);
        assertThat(fastDone).isLessThan(slow.events().get(11).arrivedAt());
    }

    @Test
    void streamWithNTwoSendsEachWordForBothChoicesAndFinishesBoth() throws Exception {
        start(SampleModelSettings.loopback(TestClient.KEY).withTokenDelay(Duration.ZERO));

        SseRecorder stream = client.stream("/v1/chat/completions", chat("hi", "\"n\":2,"));
        stream.await();

        List<Map<String, Object>> words = stream.wordChunks();
        assertThat(words).extracting(w -> at(w, "choices", 0, "index")).containsExactly(0L, 1L, 0L, 1L, 0L, 1L);
        assertThat(words).extracting(w -> at(w, "choices", 0, "delta", "content"))
                .containsExactly("You", "You", " said:", " said:", " hi", " hi");
        assertThat(words.subList(0, 2)).allSatisfy(w -> assertThat((Object) at(w, "choices", 0, "delta", "role")).isEqualTo("assistant"));
        List<Event> events = stream.events();
        assertThat(events.subList(6, 8)).extracting(e -> at(e.json(), "choices", 0, "finish_reason")).containsOnly("stop");
        assertThat(events.subList(6, 8)).extracting(e -> at(e.json(), "choices", 0, "index")).containsExactly(0L, 1L);
        assertThat(events).hasSize(9);
    }

    @Test
    void streamTruncatesToMaxCompletionTokensAndSendsUsageWhenAsked() throws Exception {
        start(SampleModelSettings.loopback(TestClient.KEY).withTokenDelay(Duration.ZERO));

        SseRecorder stream = client.stream("/v1/chat/completions",
                chat("a b c", "\"max_completion_tokens\":2,\"stream_options\":{\"include_usage\":true},"));
        stream.await();

        List<Event> events = stream.events();
        assertThat(events).hasSize(5);
        assertThat(stream.wordChunks()).extracting(w -> at(w, "choices", 0, "delta", "content")).containsExactly("You", " said:");
        assertThat(stream.wordChunks()).allSatisfy(w -> assertThat(w).containsEntry("usage", null));
        assertThat((Object) at(events.get(2).json(), "choices", 0, "finish_reason")).isEqualTo("length");
        Map<String, Object> usage = events.get(3).json();
        assertThat(usage.get("choices")).isEqualTo(List.of());
        assertThat(usage.get("usage")).isEqualTo(Map.of("prompt_tokens", 3L, "completion_tokens", 2L, "total_tokens", 5L));
        assertThat(events.get(4).data()).isEqualTo("[DONE]");
    }

    @Test
    void completionsStreamTextChunks() throws Exception {
        start(SampleModelSettings.loopback(TestClient.KEY).withTokenDelay(Duration.ZERO));

        SseRecorder stream = client.stream("/v1/completions", "{\"model\":\"demo-large\",\"prompt\":\"go\",\"stream\":true}");
        stream.await();

        List<Event> events = stream.events();
        assertThat(events).extracting(e -> e.data().equals("[DONE]") ? "[DONE]" : at(e.json(), "choices", 0, "text"))
                .containsExactly("You", " said:", " go", "", "[DONE]");
        assertThat(events.get(0).json().get("object")).isEqualTo("text_completion");
        assertThat((Object) at(events.get(3).json(), "choices", 0, "finish_reason")).isEqualTo("stop");
    }

    @Test
    void requestsBeyondMaxThreadsWaitForAWorkerAndAreThenServed() throws Exception {
        start(SampleModelSettings.loopback(TestClient.KEY).withTokenDelay(Duration.ofMillis(300)).withMaxThreads(1));

        SseRecorder busy = client.stream("/v1/chat/completions", chat("a b c", ""));
        busy.firstEvent.get(30, TimeUnit.SECONDS);
        CompletableFuture<HttpResponse<String>> queued = CompletableFuture.supplyAsync(() -> {
            try {
                return client.get("/v1/models");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        while (busy.events().size() < 2) {
            Thread.sleep(10);
        }
        boolean servedWhileTheOnlyWorkerStreams = queued.isDone();
        busy.await();

        assertThat(servedWhileTheOnlyWorkerStreams).isFalse();
        assertThat(queued.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void closeEndsOpenStreamsPromptly() throws Exception {
        start(SampleModelSettings.loopback(TestClient.KEY).withTokenDelay(Duration.ofSeconds(30)));

        SseRecorder stream = client.stream("/v1/chat/completions", chat("a b c", ""));
        stream.firstEvent.get(30, TimeUnit.SECONDS);
        server.close();

        Throwable outcome = stream.response.handle((response, error) -> error).get(30, TimeUnit.SECONDS);
        assertThat(stream.events()).hasSize(1);
        assertThat(outcome).isNotNull();
    }
}
