package io.gatehouse.samplemodel;

import static io.gatehouse.samplemodel.TestClient.at;
import static io.gatehouse.samplemodel.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SampleModelServerTest {

    private static final String INVALID_KEY_PREFIX = "{\"error\":{\"message\":";

    private static SampleModelServer server;
    private static TestClient client;

    @BeforeAll
    static void start() throws Exception {
        server = SampleModelServer.start(SampleModelSettings.loopback(TestClient.KEY));
        client = new TestClient(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void rejectsARequestWithoutAnApiKey() throws Exception {
        HttpResponse<String> response = client.get("/v1/models", "Authorization", "");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.body()).isEqualTo(INVALID_KEY_PREFIX + "\"You didn't provide an API key. You need to "
                + "provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer "
                + "YOUR_KEY).\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}");
    }

    @Test
    void rejectsAWrongApiKeyOrScheme() throws Exception {
        String incorrect = INVALID_KEY_PREFIX + "\"Incorrect API key provided.\",\"type\":\"invalid_request_error\","
                + "\"param\":null,\"code\":\"invalid_api_key\"}}";

        HttpResponse<String> wrongKey = client.post("/v1/chat/completions", "{}", "Authorization", "Bearer nope");
        HttpResponse<String> wrongScheme = client.get("/v1/models", "Authorization", "Basic " + TestClient.KEY);
        HttpResponse<String> prefixOfKey = client.get("/v1/models", "Authorization", "Bearer test-key");

        assertThat(List.of(wrongKey.statusCode(), wrongScheme.statusCode(), prefixOfKey.statusCode()))
                .containsOnly(401);
        assertThat(List.of(wrongKey.body(), wrongScheme.body(), prefixOfKey.body())).containsOnly(incorrect);
    }

    @Test
    void acceptsTheBearerSchemeInAnyCase() throws Exception {
        assertThat(client.get("/v1/models", "Authorization", "bearer " + TestClient.KEY).statusCode()).isEqualTo(200);
    }

    @Test
    void healthAnswersWithoutAKey() throws Exception {
        HttpResponse<String> response = client.get("/health", "Authorization", "");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEmpty();
    }

    @Test
    void listsTheConfiguredModelsAsAnOpenAiList() throws Exception {
        HttpResponse<String> response = client.get("/v1/models");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        Map<String, Object> body = json(response.body());
        assertThat(body.get("object")).isEqualTo("list");
        List<Map<String, Object>> data = at(body, "data");
        assertThat(data).extracting(m -> m.get("id")).containsExactly("demo-small", "demo-large");
        assertThat(data).allSatisfy(m -> {
            assertThat(m.get("object")).isEqualTo("model");
            assertThat(m.get("owned_by")).isEqualTo("gatehouse-sample");
            assertThat((Long) m.get("created")).isPositive();
        });
    }

    @Test
    void retrievesOneModelAndAnswers404ForAnUnknownOne() throws Exception {
        assertThat(json(client.get("/v1/models/demo-large").body()).get("id")).isEqualTo("demo-large");

        HttpResponse<String> missing = client.get("/v1/models/gpt-9");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).isEqualTo("{\"error\":{\"message\":\"The model `gpt-9` does not exist or you do not "
                + "have access to it.\",\"type\":\"invalid_request_error\",\"param\":\"model\",\"code\":\"model_not_found\"}}");
    }

    @Test
    void chatEchoesTheLastUserMessageWithUsageCountedInWords() throws Exception {
        HttpResponse<String> response = client.post("/v1/chat/completions", """
                {"model":"demo-small","messages":[
                  {"role":"system","content":"Be brief."},
                  {"role":"user","content":"first question"},
                  {"role":"assistant","content":"You said: first question"},
                  {"role":"user","content":"Is  \\"this\\" é 😀 echoed?"}]}""");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        Map<String, Object> body = json(response.body());
        assertThat((String) body.get("id")).matches("chatcmpl-\\d+");
        assertThat(body.get("object")).isEqualTo("chat.completion");
        assertThat(body.get("model")).isEqualTo("demo-small");
        assertThat((Long) body.get("created")).isPositive();
        assertThat((Object) at(body, "choices", 0, "message")).isEqualTo(
                Json.object("role", "assistant", "content", "You said: Is  \"this\" é 😀 echoed?", "refusal", null));
        assertThat((Object) at(body, "choices", 0, "finish_reason")).isEqualTo("stop");
        assertThat((Object) at(body, "choices", 0, "index")).isEqualTo(0L);
        // prompt: 2 + 2 + 4 + 5 words; completion: "You said:" + 5 words
        assertThat(body.get("usage")).isEqualTo(Map.of("prompt_tokens", 13L, "completion_tokens", 7L, "total_tokens", 20L));
    }

    @Test
    void chatEchoesTextContentPartsJoinedByNewlinesAndSkipsOtherParts() throws Exception {
        HttpResponse<String> response = client.post("/v1/chat/completions", """
                {"model":"demo-large","messages":[{"role":"user","content":[
                  {"type":"text","text":"Describe"},
                  {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},
                  {"type":"text","text":"this picture"}]}]}""");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat((Object) at(json(response.body()), "choices", 0, "message", "content"))
                .isEqualTo("You said: Describe\nthis picture");
        assertThat((Object) at(json(response.body()), "usage", "prompt_tokens")).isEqualTo(3L);
    }

    @Test
    void chatGivesNIdenticalChoicesAndCountsTheirWords() throws Exception {
        Map<String, Object> body = json(client.post("/v1/chat/completions",
                "{\"model\":\"demo-small\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}").body());

        List<Map<String, Object>> choices = at(body, "choices");
        assertThat(choices).extracting(c -> c.get("index")).containsExactly(0L, 1L);
        assertThat(choices).extracting(c -> at(c, "message", "content")).containsOnly("You said: hi there");
        assertThat(body.get("usage")).isEqualTo(Map.of("prompt_tokens", 2L, "completion_tokens", 8L, "total_tokens", 10L));
    }

    @Test
    void chatTruncatesToMaxTokensAndReportsLength() throws Exception {
        Map<String, Object> legacy = json(client.post("/v1/chat/completions",
                "{\"model\":\"demo-small\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"a b c\"}]}").body());
        Map<String, Object> current = json(client.post("/v1/chat/completions", "{\"model\":\"demo-small\","
                + "\"max_tokens\":1,\"max_completion_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"a b c\"}]}").body());

        assertThat((Object) at(legacy, "choices", 0, "message", "content")).isEqualTo("You said: a");
        assertThat((Object) at(legacy, "choices", 0, "finish_reason")).isEqualTo("length");
        assertThat((Object) at(legacy, "usage", "completion_tokens")).isEqualTo(3L);
        assertThat((Object) at(current, "choices", 0, "message", "content")).isEqualTo("You said: a b");
    }

    @Test
    void answersUnknownModelWith404ModelNotFound() throws Exception {
        HttpResponse<String> response = client.post("/v1/chat/completions",
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.body()).isEqualTo("{\"error\":{\"message\":\"The model `gpt-4o` does not exist or you do not "
                + "have access to it.\",\"type\":\"invalid_request_error\",\"param\":\"model\",\"code\":\"model_not_found\"}}");
    }

    @Test
    void answersBadJsonWith400NamingTheParseError() throws Exception {
        HttpResponse<String> response = client.post("/v1/chat/completions", "{\"model\":\"demo-small\",");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.body()).isEqualTo("{\"error\":{\"message\":\"We could not parse the JSON body of your "
                + "request: Unexpected end of input, expected a string key at offset 22.\",\"type\":"
                + "\"invalid_request_error\",\"param\":null,\"code\":\"invalid_json\"}}");
    }

    @Test
    void answersInvalidRequestsWith400NamingTheParameter() throws Exception {
        assertError(client.post("/v1/chat/completions", "[1]"), 400, null, "invalid_json",
                "The request body must be a JSON object, but got an array instead.");
        assertError(client.post("/v1/chat/completions", "{\"messages\":[]}"), 400, "model",
                "missing_required_parameter", "Missing required parameter: 'model'.");
        assertError(client.post("/v1/chat/completions", "{\"model\":\"demo-small\",\"messages\":[]}"), 400, "messages",
                "empty_array", "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an "
                        + "empty array instead.");
        assertError(client.post("/v1/chat/completions", "{\"model\":\"demo-small\",\"messages\":[{\"content\":\"x\"}]}"),
                400, "messages[0].role", "missing_required_parameter", "Missing required parameter: 'messages[0].role'.");
        assertError(client.post("/v1/chat/completions",
                "{\"model\":\"demo-small\",\"n\":\"2\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
                400, "n", "invalid_type", "Invalid type for 'n': expected an integer, but got a string instead.");
        assertError(client.post("/v1/chat/completions",
                "{\"model\":\"demo-small\",\"max_tokens\":0,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
                400, "max_tokens", "integer_below_min_value",
                "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.");
        assertError(client.post("/v1/chat/completions",
                "{\"model\":\"demo-small\",\"n\":129,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
                400, "n", "integer_above_max_value",
                "Invalid 'n': integer above maximum value. Expected a value <= 128, but got 129 instead.");
        assertError(client.post("/v1/chat/completions",
                "{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":7}]}"), 400,
                "messages[0].content", "invalid_type", "Invalid type for 'messages[0].content': expected a string or an "
                        + "array of content parts, but got an integer instead.");
    }

    @Test
    void answersAWrongMethodWith405AndTheAllowedOne() throws Exception {
        HttpResponse<String> response = client.get("/v1/chat/completions");

        assertError(response, 405, null, "method_not_allowed",
                "Method GET is not allowed on /v1/chat/completions; use POST.");
        assertThat(response.headers().firstValue("Allow")).hasValue("POST");
        assertThat(client.send("DELETE", "/v1/models", null).statusCode()).isEqualTo(405);
    }

    @Test
    void answersAnUnknownPathWith404() throws Exception {
        assertError(client.post("/v1/responses", "{}"), 404, null, "unknown_url", "Invalid URL (POST /v1/responses)");
        assertError(client.get("/v1/models/"), 404, null, "unknown_url", "Invalid URL (GET /v1/models/)");
    }

    @Test
    void answersABodyOverTheLimitWith413() throws Exception {
        String huge = "{\"model\":\"" + "x".repeat(HttpIo.MAX_REQUEST_BYTES) + "\"}";

        assertError(client.post("/v1/embeddings", huge), 413, null, "request_too_large",
                "The request body exceeds the sample model's limit of 8388608 bytes.");
    }

    @Test
    void completionsEchoEachPromptNTimesInPromptOrder() throws Exception {
        HttpResponse<String> response = client.post("/v1/completions",
                "{\"model\":\"demo-small\",\"prompt\":[\"one\",\"two words\"],\"n\":2,\"max_tokens\":3}");

        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Object> body = json(response.body());
        assertThat((String) body.get("id")).matches("cmpl-\\d+");
        assertThat(body.get("object")).isEqualTo("text_completion");
        List<Map<String, Object>> choices = at(body, "choices");
        assertThat(choices).extracting(c -> c.get("index")).containsExactly(0L, 1L, 2L, 3L);
        assertThat(choices).extracting(c -> c.get("text"))
                .containsExactly("You said: one", "You said: one", "You said: two", "You said: two");
        assertThat(choices).extracting(c -> c.get("finish_reason")).containsExactly("stop", "stop", "length", "length");
        assertThat(body.get("usage")).isEqualTo(Map.of("prompt_tokens", 3L, "completion_tokens", 12L, "total_tokens", 15L));
    }

    @Test
    void completionsTakeAStringPromptAndRejectOtherTypes() throws Exception {
        Map<String, Object> body = json(client.post("/v1/completions",
                "{\"model\":\"demo-large\",\"prompt\":\"Say this\"}").body());

        assertThat((Object) at(body, "choices", 0, "text")).isEqualTo("You said: Say this");
        assertError(client.post("/v1/completions", "{\"model\":\"demo-large\",\"prompt\":[1,2]}"), 400, "prompt[0]",
                "invalid_type", "Invalid type for 'prompt[0]': expected a string, but got an integer instead.");
    }

    @Test
    void embeddingsGiveOneDeterministicUnitVectorOfEightFloatsPerInput() throws Exception {
        HttpResponse<String> response = client.post("/v1/embeddings",
                "{\"model\":\"demo-small\",\"input\":[\"hello world\",\"other text\",\"hello world\"]}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        Map<String, Object> body = json(response.body());
        assertThat(body.get("object")).isEqualTo("list");
        assertThat(body.get("model")).isEqualTo("demo-small");
        assertThat(body.get("usage")).isEqualTo(Map.of("prompt_tokens", 6L, "total_tokens", 6L));
        List<Map<String, Object>> data = at(body, "data");
        assertThat(data).extracting(d -> d.get("index")).containsExactly(0L, 1L, 2L);
        assertThat(data).extracting(d -> d.get("object")).containsOnly("embedding");
        List<List<Double>> vectors = data.stream().map(d -> TestClient.<List<Double>>at(d, "embedding")).toList();
        assertThat(vectors).allSatisfy(v -> {
            assertThat(v).hasSize(8);
            assertThat(Math.sqrt(v.stream().mapToDouble(x -> x * x).sum())).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        });
        assertThat(vectors.get(0)).isEqualTo(vectors.get(2)).isNotEqualTo(vectors.get(1));

        Map<String, Object> single = json(client.post("/v1/embeddings",
                "{\"model\":\"demo-small\",\"input\":\"hello world\"}").body());
        assertThat((Object) at(single, "data", 0, "embedding")).isEqualTo(vectors.get(0));
    }

    @Test
    void embeddingsHonourDimensionsAndBase64Encoding() throws Exception {
        Map<String, Object> floats = json(client.post("/v1/embeddings",
                "{\"model\":\"demo-large\",\"input\":\"x\",\"dimensions\":20}").body());
        Map<String, Object> base64 = json(client.post("/v1/embeddings",
                "{\"model\":\"demo-large\",\"input\":\"x\",\"dimensions\":20,\"encoding_format\":\"base64\"}").body());

        List<Double> vector = at(floats, "data", 0, "embedding");
        assertThat(vector).hasSize(20);
        ByteBuffer decoded = ByteBuffer.wrap(Base64.getDecoder().decode((String) at(base64, "data", 0, "embedding")))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertThat(decoded.remaining()).isEqualTo(80);
        for (double component : vector) {
            assertThat(decoded.getFloat()).isEqualTo((float) component);
        }
        assertError(client.post("/v1/embeddings", "{\"model\":\"demo-large\",\"input\":\"x\",\"encoding_format\":\"hex\"}"),
                400, "encoding_format", "invalid_value",
                "Invalid value for 'encoding_format': expected 'float' or 'base64', but got 'hex' instead.");
    }

    @Test
    void limitsHowMuchOneSmallRequestCanAskFor() throws Exception {
        String prompts = String.join(",", java.util.Collections.nCopies(9, "\"p\""));
        assertError(client.post("/v1/completions", "{\"model\":\"demo-small\",\"n\":128,\"prompt\":[" + prompts + "]}"),
                400, "n", "too_many_choices",
                "The request asks for 1152 choices (9 prompts x n=128); the sample model allows at most 1024.");

        String inputs = String.join(",", java.util.Collections.nCopies(2049, "\"i\""));
        assertError(client.post("/v1/embeddings", "{\"model\":\"demo-small\",\"input\":[" + inputs + "]}"),
                400, "input", "array_above_max_length", "Invalid 'input': array too long. Expected an array with "
                        + "maximum length 2048, but got an array with length 2049 instead.");
    }

    @Test
    void invalidTokenDelayHeaderIsA400() throws Exception {
        assertError(client.post("/v1/chat/completions", "{}", "X-Sample-Token-Delay-Ms", "slow"), 400, null,
                "invalid_header", "Invalid X-Sample-Token-Delay-Ms header: expected an integer from 0 to 60000 "
                        + "(milliseconds), but got 'slow'.");
    }

    private static void assertError(HttpResponse<String> response, int status, String param, String code, String message) {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(json(response.body())).isEqualTo(Map.of("error",
                Json.object("message", message, "type", "invalid_request_error", "param", param, "code", code)));
    }
}
