package io.gatehouse.it.foundation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;

/** The JDK HttpClient for raw cases, plus an SSE reader that notes when each line arrived. */
final class Http {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    private Http() {
    }

    static HttpRequest.Builder request(URI uri, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    static HttpResponse<String> get(URI uri, String token) {
        return send(request(uri, token).GET().build());
    }

    static HttpResponse<String> postJson(URI uri, String token, String body, String... headers) {
        HttpRequest.Builder b = request(uri, token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON (status " + response.statusCode() + "): " + response.body(), e);
        }
    }

    /** A chat completion request body for demo-small. */
    static String chat(String prompt, boolean stream) {
        return "{\"model\":\"demo-small\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":"
                + JSON.valueToTree(prompt) + "}]}";
    }

    /** {@code n} distinct words: w1 w2 ... wn. */
    static String words(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            b.append(i == 1 ? "" : " ").append('w').append(i);
        }
        return b.toString();
    }

    /** Starts a streamed POST; the returned reader records its lines as they arrive. */
    static SseReader stream(URI uri, String token, String body, String... headers) {
        HttpRequest.Builder b = request(uri, token).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        SseReader reader = new SseReader();
        reader.response = CLIENT.sendAsync(b.build(), HttpResponse.BodyHandlers.fromLineSubscriber(reader));
        return reader;
    }

    /** Lines of one streamed response; notes the first {@code data:} line and when the response ended. */
    static final class SseReader implements Flow.Subscriber<String> {
        final CountDownLatch firstEvent = new CountDownLatch(1);
        final CompletableFuture<List<String>> done = new CompletableFuture<>();
        private final List<String> lines = new ArrayList<>();
        volatile long endNanos;
        volatile CompletableFuture<HttpResponse<Void>> response;

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            synchronized (lines) {
                lines.add(line);
            }
            if (line.startsWith("data:")) {
                firstEvent.countDown();
            }
        }

        @Override
        public void onError(Throwable error) {
            endNanos = System.nanoTime();
            firstEvent.countDown();
            done.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            endNanos = System.nanoTime();
            firstEvent.countDown();
            synchronized (lines) {
                done.complete(List.copyOf(lines));
            }
        }

        /** The text of every {@code choices[0].delta.content} in order. */
        static String content(List<String> lines) {
            StringBuilder text = new StringBuilder();
            for (String line : lines) {
                if (!line.startsWith("data: {")) {
                    continue;
                }
                try {
                    JsonNode delta = JSON.readTree(line.substring(6)).path("choices").path(0).path("delta");
                    if (delta.has("content")) {
                        text.append(delta.get("content").asText());
                    }
                } catch (IOException e) {
                    throw new AssertionError("bad SSE data line: " + line, e);
                }
            }
            return text.toString();
        }
    }
}
