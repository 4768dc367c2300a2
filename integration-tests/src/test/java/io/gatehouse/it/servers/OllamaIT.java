package io.gatehouse.it.servers;

import static io.gatehouse.it.servers.ModelServersStack.json;
import static io.gatehouse.it.servers.ModelServersStack.ndjson;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ollama's native API through the real gateway ({@code /ollama}, prefix stripped) to the sample model's Ollama
 * API: identity, policy by operation and model, the output cap written in as {@code options.num_predict},
 * batch, hidden fields, masking of NDJSON streams across lines, recording, and pull / delete held for a lead
 * and forwarded exactly once when approved.
 */
class OllamaIT {

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

    private static String chat(String model, String text, String extra) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]" + extra
                + "}";
    }

    private static String content(List<JsonNode> lines) {
        return lines.stream().map(l -> l.at("/message/content").asText()).collect(Collectors.joining());
    }

    @Test
    void aStreamedChatComesBackAsNdjsonLinesWithACardNumberSplitAcrossLinesMaskedAndIsRecordedMasked()
            throws Exception {
        HttpResponse<String> r = stack.post("/ollama/api/chat", stack.carol(),
                chat("demo-small", "card 4111 1111 1111 1111 ok", ""));

        List<JsonNode> lines = ndjson(r.body());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/x-ndjson");
        assertThat(lines.size()).as("one line per word, then the final one").isGreaterThan(5);
        assertThat(content(lines)).isEqualTo("You said: card [CREDIT_CARD] ok");
        assertThat(r.body()).doesNotContainPattern("(?<![0-9])4111(?![0-9])"); // a word, not digits of a timestamp
        JsonNode last = lines.get(lines.size() - 1);
        assertThat(last.path("done").asBoolean()).isTrue();
        assertThat(last.path("done_reason").asText()).isEqualTo("stop");
        assertThat(last.path("eval_count").asInt()).isEqualTo(8);
        assertThat(last.has("total_duration")).as("leads see the timings").isTrue();

        JsonNode record = stack.record(r);
        assertThat(record.at("/operation/kind").asText()).isEqualTo("chat");
        assertThat(record.at("/operation/protocol").asText()).isEqualTo("ollama");
        assertThat(record.at("/operation/model").asText()).isEqualTo("demo-small");
        assertThat(record.at("/identity/username").asText()).isEqualTo("carol");
        assertThat(record.toString()).doesNotContainPattern("(?<![0-9])4111(?![0-9])"); // a word, not digits of a timestamp
    }

    @Test
    void aChatWithoutNumPredictGetsTheRulesCapWrittenInAndLosesTheHiddenTimings() throws Exception {
        HttpResponse<String> r = stack.post("/ollama/api/chat", stack.alice(),
                chat("demo-small", "one two three four five", ""));

        List<JsonNode> lines = ndjson(r.body());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(content(lines)).as("num_predict 4 reached the model").isEqualTo("You said: one two");
        JsonNode last = lines.get(lines.size() - 1);
        assertThat(last.path("done_reason").asText()).isEqualTo("length");
        assertThat(last.path("eval_count").asInt()).isEqualTo(4);
        assertThat(last.has("total_duration")).isFalse();
        assertThat(last.has("load_duration")).isFalse();
        assertThat(last.has("eval_duration")).isTrue();
    }

    @Test
    void aGenerateAskingForMoreThanTheCapOrAnotherModelIsRefusedNamingTheRule() throws Exception {
        HttpResponse<String> tooMany = stack.post("/ollama/api/generate", stack.alice(),
                "{\"model\":\"demo-small\",\"prompt\":\"hi\",\"stream\":false,\"options\":{\"num_predict\":10}}");
        HttpResponse<String> large = stack.post("/ollama/api/generate", stack.alice(),
                "{\"model\":\"demo-large\",\"prompt\":\"hi\",\"stream\":false}");
        HttpResponse<String> small = stack.post("/ollama/api/generate", stack.alice(),
                "{\"model\":\"demo-small\",\"prompt\":\"hi\",\"stream\":false,\"options\":{\"num_predict\":3}}");

        assertThat(tooMany.statusCode()).isEqualTo(403);
        assertThat(json(tooMany.body()).path("rule").asText()).isEqualTo("chat-small");
        assertThat(json(tooMany.body()).path("reason").asText()).contains("10 > 4");
        assertThat(large.statusCode()).isEqualTo(403);
        assertThat(json(large.body()).path("policy").asText()).as("no rule of users names demo-large")
                .isEqualTo("default");
        assertThat(small.statusCode()).as(small.body()).isEqualTo(200);
        assertThat(json(small.body()).path("response").asText()).isEqualTo("You said: hi");
    }

    @Test
    void withoutATokenTheOllamaApiAnswers401AndAnEmbedBatchAboveTheLimitIsRefused() throws Exception {
        HttpResponse<String> anonymous = stack.send("GET", "/ollama/api/tags", null, null);
        HttpResponse<String> three = stack.post("/ollama/api/embed", stack.alice(),
                "{\"model\":\"demo-small\",\"input\":[\"a\",\"b\",\"c\"]}");
        HttpResponse<String> two = stack.post("/ollama/api/embed", stack.alice(),
                "{\"model\":\"demo-small\",\"input\":[\"a\",\"b\"]}");

        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).isPresent();
        assertThat(three.statusCode()).isEqualTo(403);
        assertThat(json(three.body()).path("reason").asText()).isEqualTo("batch 3 > 2");
        assertThat(two.statusCode()).as(two.body()).isEqualTo(200);
        assertThat(json(two.body()).path("embeddings").size()).isEqualTo(2);
    }

    @Test
    void theModelListShowsOnlyTheModelsTheCallerMayUse() throws Exception {
        JsonNode alice = json(stack.send("GET", "/ollama/api/tags", stack.alice(), null).body());
        JsonNode carol = json(stack.send("GET", "/ollama/api/tags", stack.carol(), null).body());

        assertThat(alice.path("models").findValuesAsText("name")).containsExactly("demo-small:latest");
        assertThat(carol.path("models").findValuesAsText("name")).contains("demo-small:latest", "demo-large:latest");
    }

    @Test
    void aPullIsHeldForAnotherLeadThenForwardedExactlyOnceAndStreamsItsProgress() throws Exception {
        String body = "{\"model\":\"qwen3:0.6b\"}";
        HttpResponse<String> held = stack.post("/ollama/api/pull", stack.carol(), body);
        String id = json(held.body()).path("id").asText();
        long before = stack.model.adminCounters().get("ollama.pull");

        assertThat(held.statusCode()).as(held.body()).isEqualTo(202);
        assertThat(held.headers().firstValue("Location")).hasValue("/admin/approvals/" + id);
        assertThat(before).as("nothing reached the model while held").isZero();

        stack.approve(id, stack.erin());
        HttpResponse<String> pulled = stack.post("/ollama/api/pull", stack.carol(), body, "Gatehouse-Approval", id);
        HttpResponse<String> again = stack.post("/ollama/api/pull", stack.carol(), body, "Gatehouse-Approval", id);

        assertThat(pulled.statusCode()).as(pulled.body()).isEqualTo(200);
        List<JsonNode> progress = ndjson(pulled.body());
        assertThat(progress.get(0).path("status").asText()).isEqualTo("pulling manifest");
        assertThat(progress.get(progress.size() - 1).path("status").asText()).isEqualTo("success");
        assertThat(again.statusCode()).isEqualTo(403);
        assertThat(json(again.body()).path("title").asText()).isEqualTo("Approval used");
        assertThat(stack.model.adminCounters().get("ollama.pull")).isEqualTo(1);
        assertThat(json(stack.send("GET", "/ollama/api/tags", stack.carol(), null).body()).path("models")
                .findValuesAsText("name")).contains("qwen3:0.6b");
        assertThat(stack.record(pulled).at("/operation/kind").asText()).isEqualTo("model-admin");
    }

    @Test
    void aDeleteIsHeldThenForwardedOnceAndAPullOfAModelNoRuleNamesIsRefused() throws Exception {
        String body = "{\"model\":\"demo-large\"}";
        HttpResponse<String> held = stack.send("DELETE", "/ollama/api/delete", stack.carol(), body);
        String id = json(held.body()).path("id").asText();
        assertThat(held.statusCode()).as(held.body()).isEqualTo(202);
        assertThat(stack.model.adminCounters().get("ollama.delete")).isZero();

        stack.approve(id, stack.erin());
        HttpResponse<String> deleted = stack.send("DELETE", "/ollama/api/delete", stack.carol(), body,
                "Gatehouse-Approval", id);
        HttpResponse<String> evil = stack.post("/ollama/api/pull", stack.carol(), "{\"model\":\"evil/llama\"}");
        HttpResponse<String> byAlice = stack.post("/ollama/api/pull", stack.alice(), "{\"model\":\"qwen3:0.6b\"}");

        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
        assertThat(stack.model.adminCounters().get("ollama.delete")).isEqualTo(1);
        assertThat(evil.statusCode()).isEqualTo(403);
        assertThat(byAlice.statusCode()).isEqualTo(403);
    }
}
