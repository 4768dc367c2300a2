package io.gatehouse.it.servers;

import static io.gatehouse.it.servers.ModelServersStack.json;
import static io.gatehouse.it.servers.ModelServersStack.sseData;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TGI's ({@code /tgi}) and llama.cpp server's ({@code /llama}) own APIs through the real gateway on
 * {@code openai} endpoints: SSE streams masked across events, the cap written in as
 * {@code parameters.max_new_tokens} / {@code n_predict}, batch, hidden fields, and llama.cpp's slot admin
 * refused to callers without a rule for it.
 */
class TgiAndLlamaCppIT {

    private static ModelServersStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = ModelServersStack.start();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    private static List<JsonNode> events(HttpResponse<String> r) {
        return sseData(r.body()).stream().map(d -> {
            try {
                return json(d);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(d, e);
            }
        }).toList();
    }

    @Test
    void aTgiGenerateStreamIsMaskedAcrossTokenEventsAndItsClosingTextIsMaskedWhole() throws Exception {
        HttpResponse<String> r = stack.post("/tgi/generate_stream", stack.carol(),
                "{\"inputs\":\"card 4111 1111 1111 1111 ok\"}");

        List<JsonNode> events = events(r);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).doesNotContainPattern("(?<![0-9])4111(?![0-9])"); // a word, not digits of a timestamp
        assertThat(events.stream().map(e -> e.at("/token/text").asText()).collect(Collectors.joining()))
                .isEqualTo("You said: card [CREDIT_CARD] ok");
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.path("generated_text").asText()).isEqualTo("You said: card [CREDIT_CARD] ok");
        assertThat(last.at("/details/finish_reason").asText()).isEqualTo("eos_token");
        assertThat(stack.record(r).at("/operation/protocol").asText()).isEqualTo("tgi");
    }

    @Test
    void aTgiGenerateWithoutMaxNewTokensGetsTheCapWrittenInAndLosesTheHiddenSeed() throws Exception {
        HttpResponse<String> capped = stack.post("/tgi/generate", stack.alice(),
                "{\"inputs\":\"a b c d e\",\"parameters\":{\"details\":true}}");
        HttpResponse<String> tooMany = stack.post("/tgi/generate", stack.alice(),
                "{\"inputs\":\"a\",\"parameters\":{\"max_new_tokens\":100}}");
        HttpResponse<String> info = stack.send("GET", "/tgi/info", stack.alice(), null);

        assertThat(capped.statusCode()).as(capped.body()).isEqualTo(200);
        assertThat(json(capped.body()).path("generated_text").asText()).isEqualTo("You said: a b");
        assertThat(json(capped.body()).at("/details/finish_reason").asText()).isEqualTo("length");
        assertThat(json(capped.body()).at("/details").has("seed")).isFalse();
        assertThat(tooMany.statusCode()).isEqualTo(403);
        assertThat(json(tooMany.body()).path("reason").asText()).contains("100 > 4");
        assertThat(json(info.body()).path("model_id").asText()).isEqualTo("demo-small");
    }

    @Test
    void aLlamaCppCompletionStreamGetsNPredictWrittenInAndEndsWithItsStopEventWithoutTimings() throws Exception {
        HttpResponse<String> r = stack.post("/llama/completion", stack.alice(),
                "{\"prompt\":\"a b c d e\",\"stream\":true}");

        List<JsonNode> events = events(r);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(sseData(r.body())).doesNotContain("[DONE]");
        assertThat(events.stream().map(e -> e.path("content").asText()).collect(Collectors.joining()))
                .isEqualTo("You said: a b");
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.path("stop").asBoolean()).isTrue();
        assertThat(last.path("stop_type").asText()).isEqualTo("limit");
        assertThat(last.at("/generation_settings/n_predict").asInt()).as("the cap the model saw").isEqualTo(4);
        assertThat(last.has("timings")).isFalse();
    }

    @Test
    void aLlamaCppStreamIsMaskedAcrossEventsAndABatchAboveTheLimitAndSlotsAreRefused() throws Exception {
        HttpResponse<String> masked = stack.post("/llama/completion", stack.carol(),
                "{\"prompt\":\"mail me at bob@example.com or 4111 1111 1111 1111\",\"stream\":true}");
        HttpResponse<String> batch = stack.post("/llama/completion", stack.alice(),
                "{\"prompt\":[\"a\",\"b\",\"c\"]}");
        HttpResponse<String> slots = stack.send("GET", "/llama/slots", stack.alice(), null);

        assertThat(masked.statusCode()).as(masked.body()).isEqualTo(200);
        assertThat(masked.body()).doesNotContain("bob@example.com")
                .doesNotContainPattern("(?<![0-9])4111(?![0-9])"); // the card's first group as a word, not digits of a timestamp
        assertThat(events(masked).stream().map(e -> e.path("content").asText()).collect(Collectors.joining()))
                .isEqualTo("You said: mail me at [EMAIL] or [CREDIT_CARD]");
        assertThat(batch.statusCode()).isEqualTo(403);
        assertThat(json(batch.body()).path("reason").asText()).isEqualTo("batch 3 > 2");
        assertThat(slots.statusCode()).as("slots show other callers' prompts").isEqualTo(403);
    }
}
