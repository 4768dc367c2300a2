package io.gatehouse.samplemodel;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/** JDK HttpClient calls against one sample model server, with SSE events timestamped on arrival. */
final class TestClient {

    static final String KEY = "test-key-123";

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    private final URI base;

    TestClient(SampleModelServer server) {
        this.base = server.baseUri();
    }

    HttpResponse<String> get(String path, String... headers) throws Exception {
        return HTTP.send(request(path, headers).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        return HTTP.send(request(path, headers).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        return HTTP.send(request(path, headers).method(method, publisher).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Posts a streaming request; the returned recorder fills in as events arrive. */
    SseRecorder stream(String path, String body, String... headers) {
        SseRecorder recorder = new SseRecorder();
        recorder.response = HTTP.sendAsync(
                request(path, headers).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.fromLineSubscriber(recorder, r -> r, "\n"));
        return recorder;
    }

    /** Headers are name/value pairs; the Authorization header with {@link #KEY} is added unless one is given. */
    private HttpRequest.Builder request(String path, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60));
        boolean auth = false;
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
            auth |= headers[i].equalsIgnoreCase("Authorization");
        }
        if (!auth) {
            builder.header("Authorization", "Bearer " + KEY);
        }
        return builder;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(String text) {
        return (Map<String, Object>) Json.parse(text);
    }

    @SuppressWarnings("unchecked")
    static <T> T at(Object json, Object... path) {
        Object current = json;
        for (Object step : path) {
            current = step instanceof Integer i ? ((List<Object>) current).get(i) : ((Map<String, Object>) current).get(step);
        }
        return (T) current;
    }

    /** One SSE {@code data:} payload and when it arrived ({@link System#nanoTime()}). */
    record Event(String data, long arrivedAt) {
        Map<String, Object> json() {
            return TestClient.json(data);
        }
    }

    static final class SseRecorder implements Flow.Subscriber<String> {
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        final List<Event> events = Collections.synchronizedList(new ArrayList<>());
        final CompletableFuture<Event> firstEvent = new CompletableFuture<>();
        CompletableFuture<HttpResponse<SseRecorder>> response;

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            long now = System.nanoTime();
            lines.add(line);
            if (line.startsWith("data: ")) {
                Event event = new Event(line.substring("data: ".length()), now);
                events.add(event);
                firstEvent.complete(event);
            }
        }

        @Override
        public void onError(Throwable throwable) {
            firstEvent.completeExceptionally(throwable);
        }

        @Override
        public void onComplete() {
            firstEvent.completeExceptionally(new IllegalStateException("the stream ended without an event"));
        }

        HttpResponse<SseRecorder> await() throws Exception {
            return response.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }

        List<Event> events() {
            synchronized (events) {
                return List.copyOf(events);
            }
        }

        Event last() {
            List<Event> all = events();
            return all.get(all.size() - 1);
        }

        /** The events that carry a word (not the finish, usage or [DONE] events), as chunks. */
        List<Map<String, Object>> wordChunks() {
            return events().stream().filter(e -> !e.data().equals("[DONE]")).map(Event::json)
                    .filter(chunk -> !at(chunk, "choices").equals(List.of()))
                    .filter(chunk -> at(chunk, "choices", 0, "finish_reason") == null)
                    .toList();
        }
    }
}
