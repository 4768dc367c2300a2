package io.gatehouse.it.hardening;

import static io.gatehouse.it.support.TempDirs.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.cli.dev.DevIssuer;
import io.gatehouse.cli.dev.DevKeys;
import io.gatehouse.cli.dev.DevTokens;
import io.gatehouse.gateway.route.GatewayRuntime;
import io.gatehouse.it.hardening.FaultyModel.Fault;
import io.gatehouse.it.support.Closer;
import io.gatehouse.it.support.TempDirs;
import io.gatehouse.it.support.TestAgent;
import io.gatehouse.it.support.TestConfig;
import io.gatehouse.store.Store;
import io.gatehouse.store.StoreSettings;
import io.gatehouse.store.audit.AuditVerifier;
import io.gatehouse.store.audit.TrustedKeys;
import io.gatehouse.store.audit.VerifyReport;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The whole path (gateway with recording, auth and masking → agent with mutual TLS → model) in front of
 * a model that misbehaves on about 10 % of the requests ({@link FaultyModel}: resets before and during
 * the answer, no answer at all, bodies cut short, garbage streams, slow drips past the request timeout,
 * bursts of 5xx). Every answer the client gets is judged: a 200 is complete (whole JSON with the model's
 * end marker, or a stream through {@code [DONE]}), or a stream ends with an {@code event: error}; every
 * other answer is a problem+json or the model's own 5xx. Nothing unmasked reaches the client or the
 * store, every exchange has its start and end record, the chain verifies, and an unrelated request
 * beside the load keeps being answered.
 *
 * <p>Size: {@code -Dgatehouse.faults.requests} (default 1,000: under a minute on two cores shared with
 * other builds; the issue's 10,000 runs the same way, only longer). {@code -Dgatehouse.faults.seed}
 * replays a run; the report names its seed.
 */
class UpstreamFaultsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String AUDIENCE = "gatehouse";
    private static final String KEY_VARIABLE = "GATEHOUSE_IT_MODEL_KEY";
    private static final int REQUESTS = Integer.getInteger("gatehouse.faults.requests", 1_000);
    private static final int CLIENTS = 16;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(4);
    private static final String ERROR_EVENT = "event: error\n";

    /** How one exchange ended, as the client saw it. */
    enum Outcome {
        /** 200 with the whole answer (whole JSON with the end marker, or a stream through [DONE]). */
        COMPLETE,
        /** 200 stream that ended with an error event: the client can tell it was cut. */
        CUT_WITH_ERROR_EVENT,
        /** 200 whole body cut by closing the connection (never a clean short body). */
        CUT_CONNECTION,
        /** A 5xx problem+json from the gateway (agent or model failed, timeout, circuit open). */
        PROBLEM,
        /** The model's own 5xx, passed on. */
        MODEL_5XX,
        /** 200 with the model's garbage passed on (masked): the model said it, the gateway did not invent it. */
        GARBAGE_PASSED,
        /** A 200 that looks like a success but is not the model's whole answer. */
        FAKE_SUCCESS,
        /** A stream cut without an error event. */
        CUT_WITHOUT_ERROR_EVENT,
        /** No answer, or one the test cannot explain. */
        UNEXPLAINED
    }

    record Seen(int n, boolean stream, int status, String contentType, String requestId, String body, boolean cut,
                String retryAfter, String error) {
    }

    @Test
    void tenPercentOfUpstreamFaultsGiveNoFakeSuccessLoseNoRecordLeakNoPiiAndLeaveTheGatewayResponsive()
            throws Exception {
        Path root = Files.createTempDirectory("gatehouse-it-faults-");
        long seed = Long.getLong("gatehouse.faults.seed", System.nanoTime());
        Closer started = new Closer();
        try {
            FaultyModel model = started.add(new FaultyModel(seed, 10, new FaultyModel.Drip(200, 30)));
            Path data = root.resolve("data");
            AgentServer agent = started.add(TestAgent.start(root.resolve("agent/agent.yaml"), data,
                    Map.of("faulty", model.uri()), KEY_VARIABLE, TestAgent.randomKey(),
                    "    responseTimeout: 1500ms\n    circuitBreaker:\n      openDuration: 1s\n"));
            RSAKey devKey = DevKeys.loadOrCreate(data);
            DevIssuer issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));
            Path config = root.resolve("config");
            write(config.resolve("gateway.yaml"), "listeners:\n  http:\n    host: 127.0.0.1\n    port: 0\n"
                    + "admin:\n  host: 127.0.0.1\n  port: 0\n  auth:\n    providers: [dev]\n"
                    + "agents:\n  local:\n    address: 127.0.0.1:" + agent.port() + "\n"
                    + "identity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer() + "\n"
                    + "      audiences: [" + AUDIENCE + "]\n"
                    + "dataDirectory: " + data + "\n");
            write(config.resolve("endpoints/openai.yaml"), "id: openai\nlistener: http\npath: /v1\nprotocol: openai\n"
                    + "target:\n  agent: local\n  service: faulty\npipeline:\n"
                    + "  - recording:\n      masking: {}\n"
                    + "  - limits:\n      requestTimeout: " + REQUEST_TIMEOUT.toSeconds() + "s\n"
                    + "  - auth:\n      providers: [dev]\n"
                    + "  - masking: {}\n");
            GatewayRuntime gateway = TestConfig.startGateway(config);
            String token = DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, "alice", List.of("analysts"),
                    Duration.ofHours(1), Instant.now());
            URI chat = URI.create("http://127.0.0.1:" + gateway.port("http") + "/v1/chat/completions");
            URI probe = URI.create("http://127.0.0.1:" + gateway.port("http") + "/v1/models");

            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Long> probeMillis = new ConcurrentLinkedQueue<>();
            List<String> probeFailures = Collections.synchronizedList(new ArrayList<>());
            List<String> probeIds = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean loadDone = new AtomicBoolean();
            HttpClient probeClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build(); // its own connections and selector thread
            Thread prober = new Thread(() -> probe(probeClient, probe, loadDone, probeMillis, probeFailures, probeIds),
                    "faults-probe");
            prober.start();

            long t0 = System.nanoTime();
            AtomicInteger next = new AtomicInteger();
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            for (int c = 0; c < CLIENTS; c++) {
                clients.execute(() -> {
                    for (int n; (n = next.getAndIncrement()) < REQUESTS; ) {
                        seen.add(send(http, chat, token, n));
                    }
                });
            }
            clients.shutdown();
            assertThat(clients.awaitTermination(15, TimeUnit.MINUTES)).as("the load finished").isTrue();
            long loadMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            loadDone.set(true);
            prober.join();
            gateway.close(); // the last records written, the chain sealed, the embedded store released

            Map<Integer, Fault> served = model.served();
            Map<Outcome, Integer> outcomes = new EnumMap<>(Outcome.class);
            Map<String, Map<String, Integer>> byFault = new TreeMap<>();
            List<String> violations = new ArrayList<>();
            List<String> leaks = new ArrayList<>();
            int circuitOpen = 0;
            for (Seen s : seen) {
                Fault fault = served.getOrDefault(s.n(), null);
                Outcome outcome = judge(s, fault);
                outcomes.merge(outcome, 1, Integer::sum);
                byFault.computeIfAbsent(fault == null ? "(never reached the model)" : fault.name(), f -> new TreeMap<>())
                        .merge(outcome + (s.status() == 200 ? "" : " " + s.status()), 1, Integer::sum);
                if (outcome == Outcome.FAKE_SUCCESS || outcome == Outcome.CUT_WITHOUT_ERROR_EVENT
                        || outcome == Outcome.UNEXPLAINED) {
                    violations.add(outcome + " for request " + s.n() + " (model: " + fault + "): " + describe(s));
                }
                if (containsPii(s.body())) {
                    leaks.add("request " + s.n() + " (model: " + fault + ", status " + s.status() + "): "
                            + abbreviate(s.body()));
                }
                if (s.status() == 503 && s.body().contains("circuit open")) {
                    circuitOpen++;
                    if (s.retryAfter() == null) {
                        violations.add("a circuit-open answer without Retry-After: " + describe(s));
                    }
                }
            }

            // The store: every exchange the client saw has its start and end, nothing stored unmasked.
            Set<String> starts = new HashSet<>();
            Set<String> ends = new HashSet<>();
            List<String> storedLeaks = new ArrayList<>();
            VerifyReport verified;
            try (Store store = Store.open(StoreSettings.embedded(data)); Connection c = store.connection()) {
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT record_id, event_type, payload FROM audit_event WHERE endpoint_id = 'openai'");
                     ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String id = rs.getString(1);
                        (rs.getString(2).equals("start") ? starts : rs.getString(2).equals("end") ? ends
                                : new HashSet<String>()).add(id);
                        String payload = rs.getString(3);
                        if (payload != null && containsPii(payload)) {
                            storedLeaks.add(id + " " + rs.getString(2) + ": " + abbreviate(payload));
                        }
                    }
                }
                verified = AuditVerifier.verify(c, TrustedKeys.none().pin(data.resolve("audit/audit-key.pub.pem"))
                        .withStoreKeys(c));
            }
            List<String> lost = new ArrayList<>();
            for (Seen s : seen) {
                if (s.requestId() == null) {
                    lost.add("request " + s.n() + " got no request id: " + describe(s));
                } else if (!starts.contains(s.requestId()) || !ends.contains(s.requestId())) {
                    lost.add("request " + s.n() + " (" + s.requestId() + ") start " + starts.contains(s.requestId())
                            + ", end " + ends.contains(s.requestId()));
                }
            }
            for (String id : probeIds) {
                if (!starts.contains(id) || !ends.contains(id)) {
                    lost.add("probe " + id + " start " + starts.contains(id) + ", end " + ends.contains(id));
                }
            }
            long faulted = served.values().stream().filter(f -> f != Fault.NONE).count();
            List<Long> probes = probeMillis.stream().sorted().toList();
            long probeMax = probes.isEmpty() ? -1 : probes.get(probes.size() - 1);
            long probeP99 = probes.isEmpty() ? -1 : probes.get(Math.min(probes.size() - 1, probes.size() * 99 / 100));

            StringBuilder report = new StringBuilder()
                    .append("Seed ").append(seed).append("; ").append(REQUESTS).append(" requests (a third streamed) by ")
                    .append(CLIENTS).append(" clients in ").append(loadMillis).append(" ms; the model served a fault to ")
                    .append(faulted).append(" of the ").append(served.size()).append(" requests that reached it ")
                    .append("(bursts of 5xx included); ").append(circuitOpen)
                    .append(" answered 503 circuit-open without reaching it.\n\n")
                    .append("| model did | client got |\n|---|---|\n");
            byFault.forEach((fault, o) -> report.append("| ").append(fault).append(" | ")
                    .append(o.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                            .collect(Collectors.joining(", "))).append(" |\n"));
            report.append("\n| check | result |\n|---|---|\n")
                    .append("| fake successes (a 200 short of the whole answer, a stream cut without error event) | ")
                    .append(outcomes.getOrDefault(Outcome.FAKE_SUCCESS, 0)
                            + outcomes.getOrDefault(Outcome.CUT_WITHOUT_ERROR_EVENT, 0)).append(" |\n")
                    .append("| unexplained answers | ").append(outcomes.getOrDefault(Outcome.UNEXPLAINED, 0)).append(" |\n")
                    .append("| records lost (no start or no end) | ").append(lost.size()).append(" of ")
                    .append(seen.size() + probeIds.size()).append(" |\n")
                    .append("| unmasked PII at the client / in the store | ").append(leaks.size()).append(" / ")
                    .append(storedLeaks.size()).append(" |\n")
                    .append("| audit chain verifies | ").append(verified.ok()).append(" |\n")
                    .append("| unrelated request beside the load (401 without a token) | ").append(probes.size())
                    .append(" answered, ").append(probeFailures.size()).append(" failed; p99 ").append(probeP99)
                    .append(" ms, max ").append(probeMax).append(" ms |\n");
            FaultsReport.section("Upstream faults", report.toString());
            System.out.println(report);

            assertThat(seen).hasSize(REQUESTS);
            assertThat(violations).as("fake successes and unexplained answers (seed %d)", seed).isEmpty();
            assertThat(leaks).as("unmasked personal data at the client (seed %d)", seed).isEmpty();
            assertThat(storedLeaks).as("unmasked personal data in the store (seed %d)", seed).isEmpty();
            assertThat(lost).as("records lost (seed %d)", seed).isEmpty();
            assertThat(verified.ok()).as(verified.describe()).isTrue();
            assertThat(probeFailures).as("unrelated requests beside the load").isEmpty();
            assertThat(probes).as("unrelated requests were made during the load").isNotEmpty();
            // How many calls the open circuit turns away depends on the request rate (a fast machine sends more of
            // them into each open second), so the check is that the gateway kept serving: answers came whole, and
            // most requests either succeeded or were refused at once without reaching the failing model.
            int completed = outcomes.getOrDefault(Outcome.COMPLETE, 0);
            assertThat(completed).as("requests answered whole during the faults").isPositive();
            assertThat(completed + circuitOpen).as("requests that succeeded or were refused by the open circuit")
                    .isGreaterThan(REQUESTS / 2);
        } finally {
            started.close();
            TempDirs.deleteTreeQuietly(root);
        }
    }

    private static Seen send(HttpClient http, URI chat, String token, int n) {
        boolean stream = n % 3 == 0;
        String body = "{\"model\":\"demo-small\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"fault test " + n + "\"}]}";
        HttpRequest request = HttpRequest.newBuilder(chat).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .header("X-Fault-Seq", Integer.toString(n))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            return new Seen(n, stream, -1, null, null, "", true, null, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Seen(n, stream, -1, null, null, "", true, null, e.toString());
        }
        StringBuilder text = new StringBuilder();
        boolean cut = false;
        String error = null;
        byte[] buffer = new byte[8192];
        try (InputStream in = response.body()) {
            for (int r; (r = in.read(buffer)) >= 0; ) {
                text.append(new String(buffer, 0, r, StandardCharsets.ISO_8859_1));
            }
        } catch (IOException e) {
            cut = true;
            error = e.toString();
        }
        return new Seen(n, stream, response.statusCode(), response.headers().firstValue("Content-Type").orElse(""),
                response.headers().firstValue("Gatehouse-Request-Id").orElse(null),
                new String(text.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8), cut,
                response.headers().firstValue("Retry-After").orElse(null), error);
    }

    private static void probe(HttpClient http, URI uri, AtomicBoolean done, ConcurrentLinkedQueue<Long> millis,
                              List<String> failures, List<String> ids) {
        while (!done.get()) {
            long t0 = System.nanoTime();
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                millis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                r.headers().firstValue("Gatehouse-Request-Id").ifPresent(ids::add);
                if (r.statusCode() != 401) {
                    failures.add("status " + r.statusCode() + ": " + r.body());
                }
                Thread.sleep(100);
            } catch (IOException e) {
                failures.add(e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** What the client got, judged against what the model did ({@code fault}: null when the model never saw it). */
    static Outcome judge(Seen s, Fault fault) {
        if (s.status() < 0) {
            return Outcome.UNEXPLAINED;
        }
        if (s.status() == 200) {
            boolean eventStream = s.contentType().startsWith("text/event-stream");
            if (eventStream) {
                if (s.body().endsWith("\n\n") && s.body().contains(ERROR_EVENT)
                        && s.body().lastIndexOf(ERROR_EVENT) > s.body().lastIndexOf("data: [DONE]")) {
                    return Outcome.CUT_WITH_ERROR_EVENT;
                }
                if (s.cut()) {
                    return Outcome.CUT_WITHOUT_ERROR_EVENT;
                }
                if (s.body().contains("data: [DONE]") && streamedContent(s.body()).contains("END-" + s.n())) {
                    return Outcome.COMPLETE;
                }
                return fault == Fault.GARBAGE ? Outcome.GARBAGE_PASSED : Outcome.FAKE_SUCCESS;
            }
            if (s.cut()) {
                return Outcome.CUT_CONNECTION;
            }
            try {
                JsonNode answer = JSON.readTree(s.body());
                if (answer.at("/choices/0/message/content").asText().endsWith("END-" + s.n())) {
                    return Outcome.COMPLETE;
                }
            } catch (IOException notJson) {
                // judged below
            }
            return fault == Fault.GARBAGE ? Outcome.GARBAGE_PASSED : Outcome.FAKE_SUCCESS;
        }
        if (s.status() >= 500) {
            if (s.contentType().startsWith("application/problem+json")) {
                return Outcome.PROBLEM;
            }
            if (fault == Fault.BURST_5XX) {
                return Outcome.MODEL_5XX;
            }
        }
        return Outcome.UNEXPLAINED;
    }

    /** The text of a chat stream's deltas, joined. */
    private static String streamedContent(String sse) {
        StringBuilder text = new StringBuilder();
        for (String line : sse.split("\n")) {
            if (line.startsWith("data: {")) {
                try {
                    text.append(JSON.readTree(line.substring(6)).at("/choices/0/delta/content").asText(""));
                } catch (IOException notJson) {
                    // not an event of a complete answer
                }
            }
        }
        return text.toString();
    }

    static boolean containsPii(String text) {
        return text.contains(FaultyModel.EMAIL_DOMAIN) || text.contains(FaultyModel.CARD)
                || text.contains(FaultyModel.CARD.replace(" ", ""));
    }

    private static String describe(Seen s) {
        return "status " + s.status() + " " + s.contentType() + (s.cut() ? " cut (" + s.error() + ")" : "")
                + " body: " + abbreviate(s.body());
    }

    private static String abbreviate(String text) {
        String flat = text.replace("\n", "\\n").replace("\r", "\\r");
        return flat.length() <= 400 ? flat : flat.substring(0, 200) + " … " + flat.substring(flat.length() - 200);
    }
}
