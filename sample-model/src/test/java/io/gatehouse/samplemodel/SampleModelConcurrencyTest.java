package io.gatehouse.samplemodel;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.samplemodel.TestClient.SseRecorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SampleModelConcurrencyTest {

    private static final int STREAMS = 300;

    @Test
    void threeHundredSlowStreamsRunAtOnceAndAllComplete() throws Exception {
        // 18 words of prompt -> 20 words of answer -> 19 pauses of 500 ms: each stream lasts about 9.5 s, long
        // enough that opening all 300 fits inside one stream's life even on a busy 2-core machine (at 200 ms, a
        // build beside it made the last stream open after the first one ended).
        String prompt = "w ".repeat(18).strip();
        String body = "{\"model\":\"demo-small\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
        try (SampleModelServer server = SampleModelServer.start(
                SampleModelSettings.loopback(TestClient.KEY).withTokenDelay(Duration.ofMillis(500)))) {
            TestClient client = new TestClient(server);

            List<SseRecorder> streams = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                streams.add(client.stream("/v1/chat/completions", body));
            }
            for (SseRecorder stream : streams) {
                assertThat(stream.await().statusCode()).isEqualTo(200);
            }

            assertThat(streams).allSatisfy(stream -> {
                assertThat(stream.wordChunks()).hasSize(20);
                assertThat(stream.last().data()).isEqualTo("[DONE]");
            });
            // Every stream had its first event before any stream had its last: all 300 were open at once,
            // none waited for a worker another stream held.
            long lastFirstEvent = streams.stream().mapToLong(s -> s.events().get(0).arrivedAt()).max().orElseThrow();
            long firstDone = streams.stream().mapToLong(s -> s.last().arrivedAt()).min().orElseThrow();
            assertThat(lastFirstEvent).isLessThan(firstDone);
        }
    }
}
