package io.gatehouse.samplemodel;

import static io.gatehouse.samplemodel.TestClient.at;
import static io.gatehouse.samplemodel.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The native APIs of Ollama, vLLM (LoRA admin), llama.cpp server and TGI, and OpenAI fine-tuning, on the wire. */
class SampleModelNativeApisTest {

    private static SampleModelServer server;
    private static TestClient client;

    @BeforeAll
    static void start() throws Exception {
        server = SampleModelServer.start(SampleModelSettings.loopback(TestClient.KEY).withTokenDelay(Duration.ZERO));
        client = new TestClient(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static List<Map<String, Object>> ndjson(String body) {
        return body.lines().map(TestClient::json).toList();
    }

    @Test
    void ollamaChatStreamsOneNdjsonLinePerWordAndEndsWithTheStatsObject() throws Exception {
        HttpResponse<String> r = client.post("/api/chat", "{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hello there\"}]}");

        List<Map<String, Object>> lines = ndjson(r.body());
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/x-ndjson");
        assertThat(lines).hasSize(5);
        assertThat(lines.subList(0, 4).stream().map(l -> (String) at(l, "message", "content")).toList())
                .containsExactly("You", " said:", " hello", " there");
        Map<String, Object> last = lines.get(4);
        assertThat(last).containsEntry("done", true).containsEntry("done_reason", "stop")
                .containsEntry("model", "demo-small").containsEntry("eval_count", 4L)
                .containsEntry("prompt_eval_count", 2L).containsKeys("total_duration", "eval_duration", "created_at");
        assertThat((String) at(last, "message", "content")).isEmpty();
    }

    @Test
    void ollamaGenerateHonoursNumPredictAndStreamFalse() throws Exception {
        HttpResponse<String> r = client.post("/api/generate", "{\"model\":\"demo-small\",\"prompt\":\"one two three\","
                + "\"stream\":false,\"options\":{\"num_predict\":2}}");

        Map<String, Object> body = json(r.body());
        assertThat(body).containsEntry("response", "You said:").containsEntry("done", true)
                .containsEntry("done_reason", "length").containsEntry("eval_count", 2L).containsKey("context");
    }

    @Test
    void ollamaPullStreamsProgressAndAddsTheModelWhichDeleteRemovesAgain() throws Exception {
        HttpResponse<String> pull = client.post("/api/pull", "{\"model\":\"qwen3:0.6b\"}");
        List<Map<String, Object>> progress = ndjson(pull.body());
        String tagsAfterPull = client.get("/api/tags").body();
        HttpResponse<String> delete = client.send("DELETE", "/api/delete", "{\"model\":\"qwen3:0.6b\"}");
        HttpResponse<String> again = client.send("DELETE", "/api/delete", "{\"model\":\"qwen3:0.6b\"}");

        assertThat(progress.get(0)).isEqualTo(Map.of("status", "pulling manifest"));
        assertThat(progress.get(progress.size() - 1)).isEqualTo(Map.of("status", "success"));
        assertThat(progress.get(5)).containsEntry("completed", OllamaModels.SIZE).containsEntry("total", OllamaModels.SIZE);
        assertThat(tagsAfterPull).contains("\"name\":\"qwen3:0.6b\"").contains("\"name\":\"demo-small:latest\"");
        assertThat(delete.statusCode()).isEqualTo(200);
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(again.body()).isEqualTo("{\"error\":\"model 'qwen3:0.6b' not found\"}");
        assertThat(server.adminCounters().get("ollama.pull")).isEqualTo(1);
        assertThat(server.adminCounters().get("ollama.delete")).isEqualTo(1);
    }

    @Test
    void ollamaEmbedShowPsAndAnUnknownModelAnswerInOllamasShape() throws Exception {
        Map<String, Object> embed = json(client.post("/api/embed", "{\"model\":\"demo-small\",\"input\":[\"a\",\"b\"]}")
                .body());
        Map<String, Object> show = json(client.post("/api/show", "{\"model\":\"demo-small\"}").body());
        Map<String, Object> ps = json(client.get("/api/ps").body());
        HttpResponse<String> unknown = client.post("/api/chat", "{\"model\":\"nope\",\"messages\":[]}");

        assertThat((List<?>) embed.get("embeddings")).hasSize(2);
        assertThat((List<?>) at(embed, "embeddings", 0)).hasSize(OllamaApi.EMBEDDING_DIMENSIONS);
        assertThat(show).containsKeys("modelfile", "details", "model_info", "capabilities");
        assertThat((String) at(ps, "models", 0, "name")).isEqualTo("demo-small:latest");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).isEqualTo("{\"error\":\"model \\\"nope\\\" not found, try pulling it first\"}");
    }

    @Test
    void vllmLoadsALoraAdapterWhichThenServesAsAModelAndUnloadsIt() throws Exception {
        HttpResponse<String> load = client.post("/v1/load_lora_adapter", "{\"lora_name\":\"sql-lora\","
                + "\"lora_path\":\"/adapters/sql\"}");
        HttpResponse<String> twice = client.post("/v1/load_lora_adapter", "{\"lora_name\":\"sql-lora\","
                + "\"lora_path\":\"/adapters/sql\"}");
        String models = client.get("/v1/models").body();
        HttpResponse<String> chat = client.post("/v1/chat/completions", "{\"model\":\"sql-lora\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"hi\"}]}");
        HttpResponse<String> unload = client.post("/v1/unload_lora_adapter", "{\"lora_name\":\"sql-lora\"}");

        assertThat(load.statusCode()).isEqualTo(200);
        assertThat(load.body()).isEqualTo("Success: LoRA adapter 'sql-lora' added successfully.");
        assertThat(twice.statusCode()).isEqualTo(400);
        assertThat(json(twice.body())).containsEntry("object", "error")
                .containsEntry("message", "The lora adapter 'sql-lora' has already been loaded.");
        assertThat(models).contains("\"id\":\"sql-lora\"").contains("\"root\":\"/adapters/sql\"");
        assertThat(chat.statusCode()).isEqualTo(200);
        assertThat(unload.body()).isEqualTo("Success: LoRA adapter 'sql-lora' removed successfully.");
        assertThat(server.adminCounters().get("vllm.load_lora_adapter")).isEqualTo(1);
    }

    @Test
    void llamaCppCompletionStreamsContentEventsAndAStopEventWithoutDone() throws Exception {
        HttpResponse<String> r = client.post("/completion", "{\"prompt\":\"a b c\",\"n_predict\":3,\"stream\":true}");

        List<String> data = r.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertThat(data).hasSize(4).doesNotContain("[DONE]");
        assertThat(data.subList(0, 3).stream().map(d -> (String) json(d).get("content")).toList())
                .containsExactly("You", " said:", " a");
        assertThat(json(data.get(3))).containsEntry("stop", true).containsEntry("stop_type", "limit")
                .containsEntry("tokens_predicted", 3L).containsKey("timings");
        assertThat((String) at(Json.parse(client.get("/slots").body()), 0, "prompt")).isEqualTo("a b c");
        assertThat(json(client.get("/props").body())).containsEntry("total_slots", 2L);
    }

    @Test
    void tgiGenerateStreamSendsTokensAndTheWholeTextLastAndGenerateAnswersAtOnce() throws Exception {
        HttpResponse<String> stream = client.post("/generate_stream", "{\"inputs\":\"x y\",\"parameters\":"
                + "{\"max_new_tokens\":10}}");
        HttpResponse<String> whole = client.post("/generate", "{\"inputs\":\"x y\",\"parameters\":"
                + "{\"max_new_tokens\":2,\"details\":true}}");
        HttpResponse<String> invalid = client.post("/generate", "{\"inputs\":\"x\",\"parameters\":"
                + "{\"max_new_tokens\":0}}");

        List<String> data = stream.body().lines().filter(l -> l.startsWith("data:")).map(l -> l.substring(5)).toList();
        assertThat(data).hasSize(4);
        assertThat((String) at(json(data.get(0)), "token", "text")).isEqualTo("You");
        assertThat(json(data.get(0)).get("generated_text")).isNull();
        assertThat(json(data.get(3))).containsEntry("generated_text", "You said: x y");
        assertThat((String) at(json(data.get(3)), "details", "finish_reason")).isEqualTo("eos_token");
        assertThat(json(whole.body())).containsEntry("generated_text", "You said:");
        assertThat((String) at(json(whole.body()), "details", "finish_reason")).isEqualTo("length");
        assertThat(invalid.statusCode()).isEqualTo(422);
        assertThat(invalid.body()).isEqualTo("{\"error\":\"Input validation error: `max_new_tokens` must be strictly"
                + " positive\",\"error_type\":\"validation\"}");
        assertThat(json(client.get("/info").body())).containsEntry("model_id", "demo-small");
    }

    @Test
    void fineTuningJobIsQueuedFromAnUploadedFileAndReadsAsSucceededAfterwards() throws Exception {
        String boundary = "b0undary";
        HttpResponse<String> upload = client.post("/v1/files", "--" + boundary + "\r\nContent-Disposition: form-data;"
                + " name=\"purpose\"\r\n\r\nfine-tune\r\n--" + boundary + "\r\nContent-Disposition: form-data;"
                + " name=\"file\"; filename=\"train.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n{}\r\n--"
                + boundary + "--\r\n", "Content-Type", "multipart/form-data; boundary=" + boundary);
        String file = (String) json(upload.body()).get("id");

        Map<String, Object> created = json(client.post("/v1/fine_tuning/jobs", "{\"model\":\"demo-small\","
                + "\"training_file\":\"" + file + "\",\"suffix\":\"mine\"}").body());
        Map<String, Object> read = json(client.get("/v1/fine_tuning/jobs/" + created.get("id")).body());
        HttpResponse<String> missingFile = client.post("/v1/fine_tuning/jobs", "{\"model\":\"demo-small\","
                + "\"training_file\":\"file-nope\"}");

        assertThat(created).containsEntry("object", "fine_tuning.job").containsEntry("status", "queued");
        assertThat(read).containsEntry("status", "succeeded")
                .containsEntry("fine_tuned_model", "ft:demo-small:mine:" + created.get("id"));
        assertThat(missingFile.statusCode()).isEqualTo(404);
        assertThat(server.adminCounters().get("openai.fine_tuning.create")).isEqualTo(1);
    }
}
