package io.gatehouse.samplemodel;

import static io.gatehouse.samplemodel.TestClient.at;
import static io.gatehouse.samplemodel.TestClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code /v1/files} and {@code /v1/batches}: a real batch-job flow, as the OpenAI SDKs drive it. */
class SampleModelBatchesTest {

    private static final String BOUNDARY = "----gatehouse-test-boundary";
    private static final String LINES = "{\"custom_id\":\"r1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
            + "\"body\":{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}}\n"
            + "{\"custom_id\":\"r2\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
            + "\"body\":{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}}\n";

    private SampleModelServer server;
    private TestClient client;

    @BeforeEach
    void start() throws Exception {
        server = SampleModelServer.start(new SampleModelSettings("127.0.0.1", 0, TestClient.KEY, null,
                Duration.ZERO));
        client = new TestClient(server);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static String multipart(String filename, String content, String purpose) {
        return "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n" + purpose + "\r\n"
                + "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
                + "\"\r\nContent-Type: application/jsonl\r\n\r\n" + content + "\r\n--" + BOUNDARY + "--\r\n";
    }

    private String upload() throws Exception {
        HttpResponse<String> uploaded = client.post("/v1/files", multipart("requests.jsonl", LINES, "batch"),
                "Content-Type", "multipart/form-data; boundary=" + BOUNDARY);
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
        return at(json(uploaded.body()), "id");
    }

    @Test
    void anUploadedFileCanBeReadBackAsObjectAndContent() throws Exception {
        String id = upload();

        Map<String, Object> file = json(client.get("/v1/files/" + id).body());
        String content = client.get("/v1/files/" + id + "/content").body();

        assertThat(file).containsEntry("object", "file").containsEntry("filename", "requests.jsonl")
                .containsEntry("purpose", "batch").containsEntry("status", "processed");
        assertThat(((Number) file.get("bytes")).intValue()).isEqualTo(LINES.length());
        assertThat(content).isEqualTo(LINES);
        assertThat((List<?>) at(json(client.get("/v1/files").body()), "data")).hasSize(1);
    }

    @Test
    void aBatchRunsEveryLineAndIsCompletedWithAnOutputFileAndCounts() throws Exception {
        String fileId = upload();

        HttpResponse<String> created = client.post("/v1/batches", "{\"input_file_id\":\"" + fileId + "\","
                + "\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"metadata\":{\"job\":\"eval\"}}",
                "Content-Type", "application/json");
        Map<String, Object> batch = json(created.body());
        Map<String, Object> fetched = json(client.get("/v1/batches/" + batch.get("id")).body());
        String output = client.get("/v1/files/" + batch.get("output_file_id") + "/content").body();

        assertThat(created.statusCode()).isEqualTo(200);
        assertThat(batch).containsEntry("object", "batch").containsEntry("status", "completed")
                .containsEntry("input_file_id", fileId).containsEntry("endpoint", "/v1/chat/completions");
        assertThat((Map<String, Object>) at(batch, "request_counts")).containsEntry("total", 2L)
                .containsEntry("completed", 1L).containsEntry("failed", 1L);
        assertThat(fetched).isEqualTo(batch);
        List<String> lines = output.lines().toList();
        assertThat(lines).hasSize(2);
        assertThat((String) at(json(lines.get(0)), "response", "body", "choices", 0, "message", "content"))
                .isEqualTo("You said: hello there");
        assertThat((String) at(json(lines.get(1)), "error", "code")).isEqualTo("model_not_found");
    }

    @Test
    void aBatchOfAnUnknownFileOrEndpointIsRefusedTheOpenAiWay() throws Exception {
        HttpResponse<String> unknownFile = client.post("/v1/batches", "{\"input_file_id\":\"file-nope\","
                + "\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}");
        HttpResponse<String> badEndpoint = client.post("/v1/batches", "{\"input_file_id\":\"" + upload() + "\","
                + "\"endpoint\":\"/v1/moderations\",\"completion_window\":\"24h\"}");
        HttpResponse<String> wrongMethod = client.send("DELETE", "/v1/batches", null);

        assertThat(unknownFile.statusCode()).isEqualTo(404);
        assertThat((String) at(json(unknownFile.body()), "error", "message")).isEqualTo("No such File object: file-nope");
        assertThat(badEndpoint.statusCode()).isEqualTo(400);
        assertThat((String) at(json(badEndpoint.body()), "error", "param")).isEqualTo("endpoint");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("Allow")).contains("GET, POST");
    }

    @Test
    void filesAndBatchesNeedTheApiKeyLikeEveryModelRoute() throws Exception {
        assertThat(client.get("/v1/batches", "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
        assertThat(client.get("/v1/files/file-1", "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
    }
}
