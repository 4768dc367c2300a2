package io.gatehouse.it.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/** A caller's batch job that an approval step holds: its input file uploaded, then the batch sent with Prefer: wait. */
final class HeldBatches {

    /** One chat request, the input of a small batch. */
    static final String ONE_CHAT = "{\"custom_id\":\"r1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
            + "\"body\":{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}\n";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HeldBatches() {
    }

    /** Uploads {@code jsonl} as a batch input file to {@code files} (…/v1/files); its id. */
    static String upload(URI files, String token, String jsonl) throws Exception {
        String boundary = "gatehouse-it-" + UUID.randomUUID();
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--"
                + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"requests.jsonl\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n" + jsonl + "\r\n--" + boundary + "--\r\n";
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(files).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body()).path("id").asText();
    }

    /** Sends the batch of {@code fileId} to {@code batches} (…/v1/batches) and waits up to {@code waitSeconds}. */
    static CompletableFuture<HttpResponse<String>> hold(URI batches, String token, String fileId, String reason,
                                                        int waitSeconds) {
        HttpRequest.Builder b = HttpRequest.newBuilder(batches).timeout(Duration.ofSeconds(waitSeconds + 30L))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .header("Prefer", "wait=" + waitSeconds);
        if (reason != null) {
            b.header("Gatehouse-Reason", reason);
        }
        return HTTP.sendAsync(b.POST(HttpRequest.BodyPublishers.ofString("{\"input_file_id\":\"" + fileId
                + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
