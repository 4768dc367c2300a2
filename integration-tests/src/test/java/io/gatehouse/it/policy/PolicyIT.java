package io.gatehouse.it.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.PermissionDeniedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Least privilege through the real gateway, with the demo's policies and the realm's groups: alice
 * (analysts) chats with demo-small within her bounds and never sees usage or log-probabilities; bob
 * (ml-engineers) can do what she cannot; nobody reaches a model-admin route without a rule naming it.
 */
class PolicyIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
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

    private static String token(String user, String group) {
        return stack.token(user, List.of(group));
    }

    private static HttpResponse<String> post(String user, String group, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(stack.baseUrl() + path))
                .header("Authorization", "Bearer " + token(user, group)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String user, String group, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(stack.baseUrl() + path))
                .header("Authorization", "Bearer " + token(user, group)).GET().timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String chat(String model, int n, Integer maxTokens, boolean stream) {
        return "{\"model\":\"" + model + "\",\"n\":" + n + (maxTokens == null ? "" : ",\"max_tokens\":" + maxTokens)
                + (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "")
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}";
    }

    private static String embeddings(int inputs) {
        List<String> list = new ArrayList<>();
        for (int i = 0; i < inputs; i++) {
            list.add("\"text " + i + "\"");
        }
        return "{\"model\":\"demo-small\",\"input\":[" + String.join(",", list) + "]}";
    }

    @Test
    void aliceChatsWithDemoSmallThroughTheOpenAiSdkWithinHerBounds() {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(stack.baseUrl()).apiKey(token("alice", "analysts"))
                .maxRetries(0).timeout(Duration.ofSeconds(30)).build();
        try {
            ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                    .model("demo-small").n(2).maxTokens(512).addUserMessage("hello there").build());

            assertThat(completion.choices()).hasSize(2);
            assertThat(completion.choices().get(0).message().content()).contains("You said: hello there");
            assertThat(completion.usage()).as("usage is hidden from analysts").isEmpty();
        } finally {
            client.close();
        }
    }

    @Test
    void alicesAnswerLacksUsageAndLogprobsWhichBobsHas() throws Exception {
        HttpResponse<String> alice = post("alice", "analysts", "/chat/completions", chat("demo-small", 2, 512, false));
        HttpResponse<String> bob = post("bob", "ml-engineers", "/chat/completions", chat("demo-small", 2, 512, false));

        assertThat(alice.statusCode()).isEqualTo(200);
        JsonNode answer = JSON.readTree(alice.body());
        assertThat(answer.has("usage")).isFalse();
        assertThat(answer.path("choices")).hasSize(2).allSatisfy(c -> assertThat(c.has("logprobs")).isFalse());
        assertThat(JSON.readTree(bob.body()).has("usage")).isTrue();
        assertThat(JSON.readTree(bob.body()).path("choices").get(0).has("logprobs")).isTrue();
    }

    @Test
    void everyChunkOfAlicesStreamLacksUsageAndLogprobs() throws Exception {
        HttpResponse<String> response = post("alice", "analysts", "/chat/completions", chat("demo-small", 1, 20, true));

        assertThat(response.statusCode()).isEqualTo(200);
        List<String> data = response.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertThat(data).hasSizeGreaterThan(3).last().isEqualTo("[DONE]");
        for (String event : data.subList(0, data.size() - 1)) {
            JsonNode chunk = JSON.readTree(event);
            assertThat(chunk.has("usage")).as(event).isFalse();
            chunk.path("choices").forEach(c -> assertThat(c.has("logprobs")).as(event).isFalse());
        }
    }

    @Test
    void alicesEmbeddingsRequestWithSixteenInputsIsRefusedNamingTheRule() throws Exception {
        HttpResponse<String> response = post("alice", "analysts", "/embeddings", embeddings(16));

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        JsonNode problem = JSON.readTree(response.body());
        assertThat(problem.path("policy").asText()).isEqualTo("analysts");
        assertThat(problem.path("rule").asText()).isEqualTo("embed-small");
        assertThat(problem.path("reason").asText()).isEqualTo("batch 16 > 8");
        assertThat(problem.path("detail").asText())
                .isEqualTo("policy 'analysts' rule 'embed-small' refuses this request: batch 16 > 8");
        assertThat(post("alice", "analysts", "/embeddings", embeddings(8)).statusCode()).isEqualTo(200);
    }

    @Test
    void alicesBatchAndTokenCapsAreEnforcedAndTheSdkSeesTheRule() throws Exception {
        HttpResponse<String> tooMany = post("alice", "analysts", "/chat/completions", chat("demo-small", 3, 100, false));
        HttpResponse<String> tooLong = post("alice", "analysts", "/chat/completions", chat("demo-small", 1, 513, false));
        HttpResponse<String> large = post("alice", "analysts", "/chat/completions", chat("demo-large", 1, 100, false));

        assertThat(JSON.readTree(tooMany.body()).path("reason").asText()).isEqualTo("batch 3 > 2");
        assertThat(JSON.readTree(tooLong.body()).path("reason").asText()).isEqualTo("max_tokens 513 > 512");
        assertThat(large.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(large.body()).path("rule").asText()).isEqualTo("default-deny");
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(stack.baseUrl()).apiKey(token("alice", "analysts"))
                .maxRetries(0).build();
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.chat().completions().create(
                            ChatCompletionCreateParams.builder().model("demo-small").n(3).addUserMessage("x").build()))
                    .isInstanceOf(PermissionDeniedException.class)
                    .hasMessageContaining("policy 'analysts' rule 'chat-small' refuses this request: batch 3 > 2");
        } finally {
            client.close();
        }
    }

    @Test
    void alicesModelListingShowsOnlyTheModelsSheMayUseAndBobsShowsBoth() throws Exception {
        HttpResponse<String> alice = get("alice", "analysts", "/models");
        HttpResponse<String> bob = get("bob", "ml-engineers", "/models");

        assertThat(alice.statusCode()).isEqualTo(200);
        assertThat(ids(alice.body())).containsExactly("demo-small");
        assertThat(ids(bob.body())).containsExactly("demo-small", "demo-large");
    }

    @Test
    void bobCanDoWhatAliceCannot() throws Exception {
        assertThat(post("bob", "ml-engineers", "/chat/completions", chat("demo-large", 3, 1024, false)).statusCode())
                .isEqualTo(200);
        assertThat(post("bob", "ml-engineers", "/embeddings", embeddings(16)).statusCode()).isEqualTo(200);
        assertThat(post("bob", "ml-engineers", "/chat/completions", chat("demo-small", 1, null, true)).statusCode())
                .isEqualTo(200);
    }

    @Test
    void nobodyWithoutAnExplicitRuleReachesAModelAdminRoute() throws Exception {
        String[][] callers = {{"alice", "analysts"}, {"bob", "ml-engineers"}, {"carol", "ml-leads"}, {"dave", "auditors"}};
        String[] routes = {"/load_lora_adapter", "/unload_lora_adapter", "/models/load", "/models/unload"};
        for (String[] who : callers) {
            for (String route : routes) {
                HttpResponse<String> response = post(who[0], who[1], route, "{\"model\":\"demo-small\",\"lora_name\":"
                        + "\"x\",\"lora_path\":\"/tmp/x\"}");
                assertThat(response.statusCode()).as(who[0] + " " + route).isEqualTo(403);
                JsonNode problem = JSON.readTree(response.body());
                assertThat(problem.path("policy").asText() + "/" + problem.path("rule").asText()).as(who[0] + " " + route)
                        .isIn("default/default-deny", "auditors/no-model-access");
            }
        }
    }

    @Test
    void anAuditorCallsNoModelAndACallerWithoutAPolicyIsDeniedByDefault() throws Exception {
        HttpResponse<String> dave = post("dave", "auditors", "/chat/completions", chat("demo-small", 1, 10, false));
        HttpResponse<String> mallory = post("mallory", "interns", "/chat/completions", chat("demo-small", 1, 10, false));

        assertThat(JSON.readTree(dave.body()).path("reason").asText())
                .isEqualTo("auditors read recordings; they do not call models");
        assertThat(JSON.readTree(mallory.body()).path("reason").asText())
                .isEqualTo("no policy applies to 'mallory' (groups [interns])");
    }

    @Test
    void aBodyThatIsNotJsonIsA400BeforeAnyPolicy() throws Exception {
        HttpResponse<String> response = post("alice", "analysts", "/chat/completions", "{\"model\": ");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).path("detail").asText())
                .isEqualTo("the request body is not valid JSON (line 1, column 11)");
    }

    @Test
    void theAuditRecordNamesTheDecidingPolicyRuleAndReasonOfADenialAndOfAnAllowedExchange() throws Exception {
        HttpResponse<String> denied = post("alice", "analysts", "/embeddings", embeddings(16));
        HttpResponse<String> allowed = post("alice", "analysts", "/embeddings", embeddings(2));

        assertThat(record(denied).at("/rule").toString())
                .isEqualTo("{\"policy\":\"analysts\",\"reason\":\"batch 16 > 8\",\"rule\":\"embed-small\"}");
        assertThat(record(allowed).at("/rule").toString()).isEqualTo("{\"policy\":\"analysts\",\"reason\":"
                + "\"allowed: embeddings on model 'demo-small' at endpoint 'openai'\",\"rule\":\"embed-small\"}");
    }

    /** The audit record of an exchange, read by an auditor through the admin API once its end is written. */
    private static JsonNode record(HttpResponse<String> response) throws Exception {
        String id = response.headers().firstValue("Gatehouse-Request-Id").orElseThrow();
        String auditor = token("ada", "auditors");
        long deadline = System.nanoTime() + 10_000_000_000L;
        JsonNode record;
        do {
            HttpResponse<String> shown = HTTP.send(HttpRequest.newBuilder(stack.adminUri("/admin/sessions/" + id))
                    .header("Authorization", "Bearer " + auditor).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(shown.statusCode()).as(shown.body()).isEqualTo(200);
            record = JSON.readTree(shown.body());
            if (record.has("endTime")) {
                return record;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return record;
    }

    private static List<String> ids(String listing) throws Exception {
        List<String> ids = new ArrayList<>();
        JSON.readTree(listing).path("data").forEach(m -> ids.add(m.path("id").asText()));
        return ids;
    }
}
