package io.gatehouse.it.dialout;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.agent.AgentServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two dialling agents serve one agent name; one dies (its connections drop at once, as when its process is killed)
 * while 200 requests, half of them streamed, run four at a time. Nothing the client is told succeeded is anything
 * but a whole answer (a cut SSE stream ends with the gateway's {@code event: error}, a cut whole answer is a 503),
 * every failed request is in the audit record with its error, and the rest of the run is served by the other agent.
 */
class AgentFailoverIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static DialOutStack stack;
    private static AgentServer a;
    private static AgentServer b;

    @BeforeAll
    static void start() throws Exception {
        stack = DialOutStack.start();
        a = stack.startAgent("a", "local", stack.certificate("agent-a"), stack.ca(), null);
        b = stack.startAgent("b", "local", stack.certificate("agent-b"), stack.ca(), null);
        stack.awaitAttached(2);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** What one request came to. */
    private record Outcome(int index, boolean streamed, String requestId, int status, boolean whole, String problem) {
    }

    @Test
    void killingOneOfTwoAgentsDuring200RequestsGivesNoFakeSuccessRecordsEveryFailureAndTheOtherServesTheRest()
            throws Exception {
        String token = stack.token("lars", "load-testers");
        List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger done = new AtomicInteger();
        CompletableFuture<Void> killed = new CompletableFuture<>();
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try {
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int index = i;
                all.add(CompletableFuture.runAsync(() -> {
                    outcomes.add(call(index, token));
                    if (done.incrementAndGet() == 60) {
                        b.abort();
                        killed.complete(null);
                    }
                }, clients));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(180, TimeUnit.SECONDS);
        } finally {
            clients.shutdownNow();
        }
        assertThat(killed).isDone();

        List<Outcome> succeeded = outcomes.stream().filter(o -> o.status() == 200 && o.whole()).toList();
        List<Outcome> fake = outcomes.stream().filter(o -> o.status() == 200 && !o.whole() && o.problem() == null)
                .toList();
        List<Outcome> failed = outcomes.stream().filter(o -> !(o.status() == 200 && o.whole())).toList();
        assertThat(outcomes).hasSize(200);
        assertThat(fake).as("answers that looked complete but were not").isEmpty();
        assertThat(succeeded.size() + failed.size()).isEqualTo(200);
        // The service goes on: the last 100 requests all started well after the kill, and all got whole answers.
        assertThat(outcomes.stream().filter(o -> o.index() >= 100 && !(o.status() == 200 && o.whole())).toList())
                .isEmpty();
        String auditor = stack.token("ada", "auditors");
        for (Outcome f : failed) {
            assertThat(f.requestId()).as("request %d failed without a request id: %s", f.index(), f).isNotNull();
            String shown = awaitEnd(f.requestId(), auditor);
            assertThat(shown).as("the record of failed request %d", f.index()).contains(f.requestId());
        }
        String metrics = stack.admin("/metrics", null);
        assertThat(metrics).contains("gatehouse_agents_dialled_in{agent=\"local\"} 1.0");
        System.out.println("failover run: " + succeeded.size() + " whole answers, " + failed.size()
                + " failures, all recorded: " + failed.stream().map(o -> o.index() + (o.streamed() ? "s" : "") + ":"
                + o.status()).collect(Collectors.joining(" ")));
    }

    private static Outcome call(int index, String token) {
        boolean streamed = index % 2 == 0;
        String text = "request " + index + " asks for these words back";
        String body = "{\"model\":\"demo-small\",\"stream\":" + streamed + ",\"messages\":[{\"role\":\"user\",\"content\":\""
                + text + "\"}]}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(stack.baseUrl() + "/chat/completions"))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        String id = null;
        int status = -1;
        try {
            if (!streamed) {
                HttpResponse<String> answer = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
                id = answer.headers().firstValue("Gatehouse-Request-Id").orElse(null);
                status = answer.statusCode();
                boolean whole = status == 200 && answer.body().contains("\"content\":\"You said: " + text + "\"");
                return new Outcome(index, false, id, status, whole, status == 200 && !whole ? answer.body() : null);
            }
            HttpResponse<Stream<String>> answer = HTTP.send(request, HttpResponse.BodyHandlers.ofLines());
            id = answer.headers().firstValue("Gatehouse-Request-Id").orElse(null);
            status = answer.statusCode();
            StringBuilder said = new StringBuilder();
            boolean ended = false;
            String error = null;
            try (Stream<String> lines = answer.body()) {
                for (String line : (Iterable<String>) lines::iterator) {
                    if (line.equals("data: [DONE]")) {
                        ended = true;
                    } else if (line.equals("event: error")) {
                        error = line; // the gateway's clear end of a cut SSE stream
                    } else if (error != null && line.startsWith("data: ")) {
                        error = error + " " + line;
                    } else if (line.startsWith("data: ")) {
                        int at = line.indexOf("\"content\":\"");
                        if (at >= 0) {
                            said.append(line, at + 11, line.indexOf('"', at + 11));
                        }
                    }
                }
            }
            boolean whole = status == 200 && ended && said.toString().equals("You said: " + text);
            // A stream that ended without [DONE] or with the wrong words, but without an error, is a fake success.
            return new Outcome(index, true, id, status, whole, whole ? null : error);
        } catch (IOException | java.io.UncheckedIOException e) {
            return new Outcome(index, streamed, id, status, false, String.valueOf(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(index, streamed, id, status, false, "interrupted");
        }
    }

    /** The audit record of {@code id} once its end is written (records are closed after the answer). */
    private static String awaitEnd(String id, String auditor) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        String shown = "";
        while (System.nanoTime() < deadline) {
            shown = stack.admin("/admin/sessions/" + id, auditor);
            if (shown.contains("\"endTime\"")) {
                return shown;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no end record for " + id + ": " + shown);
    }
}
