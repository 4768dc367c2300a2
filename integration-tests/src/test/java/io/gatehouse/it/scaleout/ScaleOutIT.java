package io.gatehouse.it.scaleout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.it.approval.ApprovalStack;
import io.gatehouse.it.support.Logs;
import io.gatehouse.it.support.TempDirs;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Scale-out shown: three gateway processes ({@code gatehouse serve}) on one PostgreSQL database, one agent and
 * sample model, dev-issuer tokens, and a round-robin client in the test (what a load balancer without health
 * checks does). Rate limits hold across the replicas, an approval asked for on one replica is decided on another
 * and releases the waiting request on the first, {@code audit verify} checks the three replicas' chains together,
 * and a replica killed with {@code kill -9} under load loses no record of an answer a client received.
 *
 * <p>The replicas start once for the class (three JVMs are the expensive part); the kill runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScaleOutIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LIMIT = 30;
    private static final Duration INTERVAL = Duration.ofMinutes(1);
    private static final Pattern INTACT_CHAIN = Pattern.compile("replica (\\S+): intact");

    private static ApprovalStack stack;
    private static final List<ApprovalStack.Replica> replicas = new ArrayList<>();
    /** HTTP/1.1 as a load balancer speaks to its backends; one connection pool for all replicas. */
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void start() throws Exception {
        stack = ApprovalStack.start(true);
        String pipeline = "  - recording: {}\n"
                + "  - auth:\n      providers: [dev]\n"
                + "  - policy: {}\n"
                + "  - approval:\n      when: {operations: [embeddings]}\n      approvers: [ml-leads]\n"
                + "      maxWait: 60s\n";
        for (String name : List.of("one", "two", "three")) {
            ApprovalStack.Replica r = stack.replica(name, pipeline);
            TempDirs.write(r.config.resolve("policies/analysts.yaml"), "name: analysts\nappliesTo:\n"
                    + "  groups: [analysts]\nrules:\n  - name: chat\n    effect: allow\n    models: [demo-small]\n"
                    + "    operations: [chat, embeddings]\n"
                    + "    rateLimits:\n      - { per: identity, requests: " + LIMIT + ", every: 1m }\n");
            replicas.add(r);
        }
        // Started side by side: each start is mostly JIT and class loading, which overlap on two cores.
        ExecutorService starter = Executors.newFixedThreadPool(replicas.size());
        try {
            List<Future<ApprovalStack.Replica>> started = new ArrayList<>();
            for (ApprovalStack.Replica r : replicas) {
                started.add(starter.submit(r::startChild));
            }
            for (Future<ApprovalStack.Replica> f : started) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            starter.shutdownNow();
        }
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void aPerUserLimitOfThirtyAMinuteHoldsAcrossThreeReplicasSentThreeTimesThatRoundRobin() throws Exception {
        String alice = stack.token("alice", "analysts");
        int sent = 3 * LIMIT;
        Map<String, Map<Integer, Integer>> statusByReplica = new TreeMap<>();
        ConcurrentLinkedQueue<Answered> answers = new ConcurrentLinkedQueue<>();
        long t0 = System.nanoTime();
        // Three clients at once, so that replicas take from the bucket concurrently, not one after another.
        roundRobin(3, sent, n -> {
            ApprovalStack.Replica r = replicas.get(n % replicas.size());
            HttpResponse<String> answer = http.send(chat(r, alice, "limit " + n), HttpResponse.BodyHandlers.ofString());
            answers.add(Answered.of(r, answer));
        });
        Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);

        int allowed = 0;
        String refusal = null;
        for (Answered a : answers) {
            statusByReplica.computeIfAbsent(a.replica(), k -> new TreeMap<>()).merge(a.status(), 1, Integer::sum);
            if (a.status() == 200) {
                allowed++;
            } else if (a.status() == 429) {
                refusal = a.body();
            }
        }
        // The bucket refills whole once per interval from its first take: a run longer than the interval may
        // legitimately be granted one more budget per interval begun. That is the tolerance; no more.
        long refills = elapsed.toNanos() / INTERVAL.toNanos();
        long tolerance = refills * LIMIT;
        System.out.printf("scale-out: rate limit %d/min per identity, %d sent round-robin to 3 replicas in %d ms:"
                + " %d allowed (tolerance %d), by replica %s%n", LIMIT, sent, elapsed.toMillis(), allowed, tolerance,
                statusByReplica);

        assertThat(answers).hasSize(sent);
        assertThat(allowed).as("requests allowed across the replicas, by replica: %s", statusByReplica)
                .isBetween(LIMIT, (int) (LIMIT + tolerance));
        assertThat(statusByReplica.values()).as("every replica refuses once the shared budget is spent")
                .allSatisfy(byStatus -> assertThat(byStatus).containsOnlyKeys(200, 429).containsKey(429));
        assertThat(JSON.readTree(refusal).path("reason").asText())
                .isEqualTo(LIMIT + " requests per 1m per identity exceeded");
    }

    @Test
    @Order(2)
    void anApprovalAskedForOnReplicaOneIsDecidedOnReplicaTwoAndReleasesTheWaitingRequestOnReplicaOne()
            throws Exception {
        ApprovalStack.Replica one = replicas.get(0);
        ApprovalStack.Replica two = replicas.get(1);
        String erin = stack.token("erin", "analysts");
        long[] answeredAt = new long[1];
        CompletableFuture<HttpResponse<String>> waiting = http.sendAsync(one.postRequest("/v1/embeddings", erin,
                "{\"model\":\"demo-small\",\"input\":\"held on replica one\"}", "Prefer", "wait=45"),
                HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> answeredAt[0] = System.nanoTime());
        JsonNode pending = two.awaitPending();
        String id = pending.path("id").asText();
        assertThat(waiting).as("held on replica one until someone decides").isNotDone();

        long voteSent = System.nanoTime();
        HttpResponse<String> vote = two.admin("/admin/approvals/" + id + "/approve", stack.carol(),
                "{\"reason\":\"decided on replica two\"}");
        long voteAnswered = System.nanoTime();
        HttpResponse<String> released = waiting.get(30, TimeUnit.SECONDS);

        System.out.printf("scale-out: approval %s voted on replica two, released on replica one %d ms after the vote"
                + " was sent (%d ms after replica two answered it)%n", id,
                TimeUnit.NANOSECONDS.toMillis(answeredAt[0] - voteSent),
                TimeUnit.NANOSECONDS.toMillis(answeredAt[0] - voteAnswered));
        assertThat(vote.statusCode()).as(vote.body()).isEqualTo(200);
        assertThat(released.statusCode()).as(released.body()).isEqualTo(200);
        assertThat(JSON.readTree(released.body()).path("object").asText()).isEqualTo("list");
        JsonNode seenOnOne = JSON.readTree(one.admin("/admin/approvals/" + id, stack.carol(), null).body());
        assertThat(seenOnOne.path("status").asText()).isEqualTo("used");
        assertThat(seenOnOne.path("votes").get(0).path("username").asText()).isEqualTo("carol");
    }

    @Test
    @Order(3)
    void auditVerifyChecksTheChainsOfAllThreeReplicasTogether() throws Exception {
        String output = auditVerify();

        assertThat(intactChains(output)).as(output).hasSize(3);
        assertThat(output).contains("audit verify: OK");
    }

    @Test
    @Order(4)
    void aReplicaKilledMidLoadLosesNoRecordOfAnAnsweredRequestAndTheChainsStillVerify() throws Exception {
        int total = 240;
        int killAfter = total / 3;
        ApprovalStack.Replica victim = replicas.get(2);
        List<String> users = List.of("u1", "u2", "u3", "u4", "u5", "u6");
        Map<String, String> tokens = new HashMap<>();
        users.forEach(u -> tokens.put(u, stack.token(u, "analysts")));
        AtomicInteger killed = new AtomicInteger(-1);
        ConcurrentLinkedQueue<Answered> answered = new ConcurrentLinkedQueue<>();
        AtomicInteger unanswered = new AtomicInteger();
        long t0 = System.nanoTime();
        roundRobin(4, total, n -> {
            if (n == killAfter) {
                victim.kill(); // kill -9 while the other clients' requests are in flight
                killed.set(n);
            }
            ApprovalStack.Replica r = replicas.get(n % replicas.size());
            // One in ten without a token: a 401 is an answer too and must be recorded.
            String token = n % 10 == 9 ? null : tokens.get(users.get(n % users.size()));
            try {
                HttpResponse<String> a = http.send(chat(r, token, "load " + n), HttpResponse.BodyHandlers.ofString());
                answered.add(Answered.of(r, a));
            } catch (IOException refusedOrCut) {
                unanswered.incrementAndGet();
            }
        });
        long loadMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

        List<Answered> acknowledged = answered.stream().filter(a -> a.status() / 100 == 2 || a.status() / 100 == 4)
                .toList();
        Map<String, Map<String, Integer>> byReplica = new TreeMap<>();
        answered.forEach(a -> byReplica.computeIfAbsent(a.replica(), k -> new TreeMap<>())
                .merge(Integer.toString(a.status()), 1, Integer::sum));
        Set<String> starts = recordIds("start");
        Set<String> ends = recordIds("end");
        List<Answered> lost = acknowledged.stream()
                .filter(a -> a.requestId() == null || !starts.contains(a.requestId()) || !ends.contains(a.requestId()))
                .toList();
        // Exchanges the killed replica had started and not ended stay open until it restarts on its data directory.
        long open = starts.stream().filter(id -> !ends.contains(id)).count();
        System.out.printf("scale-out: %d requests round-robin in %d ms, replica three killed after %d sent;"
                + " %d answered (%d 2xx/4xx), %d unanswered (refused or cut), by replica %s; records lost: %d;"
                + " records left open by the kill: %d%n", total, loadMillis, killed.get(), answered.size(),
                acknowledged.size(), unanswered.get(), byReplica, lost.size(), open);

        assertThat(killed.get()).as("the kill happened mid-load").isEqualTo(killAfter);
        assertThat(victim.alive()).isFalse();
        assertThat(byReplica.get("three")).as("replica three answered before it was killed").isNotEmpty();
        assertThat(acknowledged.stream().filter(a -> a.status() / 100 == 2)).as("allowed answers").isNotEmpty();
        assertThat(acknowledged.stream().filter(a -> a.status() / 100 == 4)).as("refused answers").isNotEmpty();
        assertThat(lost).as("answered requests without a start and end record").isEmpty();
        String output = auditVerify();
        assertThat(intactChains(output)).as(output).hasSize(3);
        assertThat(output).contains("audit verify: OK");
    }

    /** One numbered request of a run. */
    private interface Send {
        void send(int n) throws Exception;
    }

    /**
     * Sends requests {@code 0..total-1} from {@code clients} threads at once, each thread taking the next number:
     * request {@code n} goes to replica {@code n % 3} whichever thread sends it.
     */
    private static void roundRobin(int clients, int total, Send send) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                done.add(pool.submit(() -> {
                    for (int n = next.getAndIncrement(); n < total; n = next.getAndIncrement()) {
                        send.send(n);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** What the client got back from one replica. */
    private record Answered(String replica, int status, String requestId, String body) {
        static Answered of(ApprovalStack.Replica r, HttpResponse<String> answer) {
            return new Answered(r.name, answer.statusCode(),
                    answer.headers().firstValue("Gatehouse-Request-Id").orElse(null), answer.body());
        }
    }

    private static HttpRequest chat(ApprovalStack.Replica r, String token, String prompt) {
        HttpRequest.Builder b = HttpRequest.newBuilder(r.uri("/v1/chat/completions")).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"demo-small\",\"max_tokens\":8,\"messages\":"
                        + "[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}"));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b.build();
    }

    /**
     * {@code gatehouse audit verify} with replica one's config (its store) and the public audit keys of the
     * other two, as an auditor pins them; the command's output.
     */
    private static String auditVerify() throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), "io.gatehouse.cli.GatehouseCommand",
                "audit", "verify", "--config", replicas.get(0).config.toString()));
        for (ApprovalStack.Replica r : replicas.subList(1, replicas.size())) {
            command.addAll(List.of("--key", r.data.resolve("audit/audit-key.pub.pem").toString()));
        }
        // The report is on standard output; the logs (standard error) go to a file, shown when it fails.
        Path errors = stack.root.resolve("audit-verify.log");
        Process verify = new ProcessBuilder(command).redirectError(errors.toFile()).start();
        String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(verify.waitFor()).as("%s\n%s", output, Logs.tail(errors, 40)).isZero();
        output.lines().filter(l -> l.startsWith("audit verify:")).forEach(l -> System.out.println("scale-out: " + l));
        return output;
    }

    private static List<String> intactChains(String output) {
        List<String> ids = new ArrayList<>();
        Matcher m = INTACT_CHAIN.matcher(output);
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    private static Set<String> recordIds(String eventType) throws Exception {
        Set<String> ids = new java.util.HashSet<>();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/" + stack.postgresDatabase
                + "?user=postgres"); PreparedStatement ps = c.prepareStatement(
                "SELECT record_id FROM audit_event WHERE event_type = ?")) {
            ps.setString(1, eventType);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
        }
        return ids;
    }
}
