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
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The store fails under load and comes back: PostgreSQL cut off (a TCP proxy between the gateway and the
 * machine's PostgreSQL resets every connection and refuses new ones), and the embedded H2 store's disk
 * full (a small tmpfs filled by a ballast file; skipped where tmpfs cannot be mounted). Whatever the
 * store does, a client gets either the whole answer or a clear 503 problem+json (a stream: an error
 * event), nothing acknowledged is lost (every complete 2xx has its start and end record), what was not
 * recorded never reached the model, the gateway recovers by itself, and the chain verifies.
 */
class StoreFaultsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String POSTGRES_ADMIN = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";
    private static final String AUDIENCE = "gatehouse";
    private static final int CLIENTS = 8;
    /** Longer than the store's connection timeout (3 s), so that the writer gives up and refuses. */
    private static final Duration OUTAGE = Duration.ofSeconds(8);

    /** How one exchange ended, as the client saw it. */
    enum Outcome {
        /** 200 with the whole answer. */
        COMPLETE,
        /** 503 Recording unavailable: not recorded, not forwarded. */
        REFUSED_NOT_FORWARDED,
        /** The answer was withheld because its end could not be recorded: 503, or a stream's error event. */
        WITHHELD,
        /** Anything else: a 500, a hang, a short 200, a stream cut without error event. */
        UNEXPLAINED
    }

    record Seen(int n, int status, String requestId, String body, boolean cut, String error) {
    }

    @Test
    void postgresqlCutOffUnderLoadFailsClosedWith503LosesNothingAcknowledgedAndRecovers() throws Exception {
        postgresCut("fail-closed");
    }

    @Test
    void postgresqlCutOffUnderLoadIsSpooledWithoutRefusingAnyoneAndDrainedWhenItIsBack() throws Exception {
        postgresCut("spool");
    }

    private void postgresCut(String policy) throws Exception {
        String database = "gatehouse_storefaults_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        sql(POSTGRES_ADMIN, "CREATE DATABASE " + database);
        String direct = "jdbc:postgresql://127.0.0.1:5432/" + database + "?user=postgres";
        try (CuttableProxy proxy = new CuttableProxy("127.0.0.1", 5432)) {
            String viaProxy = "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + database
                    + "?user=postgres&connectTimeout=2&socketTimeout=10";
            Run run = runUnderFault("store:\n  url: " + viaProxy + "\n  onStoreFailure: " + policy + "\n", null,
                    false, proxy::cut, proxy::restore, () -> {
                        try {
                            return DriverManager.getConnection(direct);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
            report("PostgreSQL cut off under load (" + policy + ")", run);
            assertInvariants(run);
            if (policy.equals("spool")) {
                assertThat(run.outcomes()).as("spool refuses nobody").containsOnlyKeys(Outcome.COMPLETE);
                assertThat(run.spoolLeft()).as("the spool was drained").isZero();
            } else {
                assertThat(run.outcomes()).as("fail-closed refused some while the store was cut")
                        .containsKey(Outcome.REFUSED_NOT_FORWARDED);
            }
        } finally {
            sql(POSTGRES_ADMIN, "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    @Test
    void theEmbeddedStoresDiskRunningFullFailsClosedWith503LosesNothingAcknowledgedAndRecovers() throws Exception {
        Path mount = Files.createTempDirectory("gatehouse-it-diskfull-");
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mount.toString()) == 0,
                "needs to mount a tmpfs (root): the disk-full case is skipped here");
        Path ballast = mount.resolve("ballast");
        try {
            // A journal that could not be written is not trusted again by the running gateway (the writer stops,
            // as PostgreSQL does after a failed fsync): it answers 503 until it is restarted with space back.
            Run run = runUnderFault("", mount.resolve("data"), true, () -> fill(ballast), () -> {
                try {
                    Files.deleteIfExists(ballast);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, null);
            report("H2 disk full under load (fail-closed)", run);
            assertInvariants(run);
            assertThat(run.outcomes()).as("the full disk refused some").containsKey(Outcome.REFUSED_NOT_FORWARDED);
        } finally {
            run("umount", "-l", mount.toString());
            TempDirs.deleteTreeQuietly(mount);
        }
    }

    /** Writes zeros until the file system refuses (ENOSPC). */
    private static void fill(Path ballast) {
        byte[] mib = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(ballast)) {
            while (true) {
                out.write(mib);
            }
        } catch (IOException full) {
            // the disk is full now
        }
    }

    record Run(List<Seen> seen, Map<Outcome, Integer> outcomes, List<String> violations, List<String> lost,
               Set<Integer> forwardedButRefused, boolean verified, String verifyReport, int recoveredAfter,
               long spoolLeft, long faultMillis) {
    }

    /**
     * Starts the stack, runs the load, breaks the store ({@code breakStore}) for {@link #OUTAGE}, repairs it,
     * waits until answers are 200 again (or, with {@code restartAfterRepair}, stops the load, restarts the
     * gateway and sends ten requests one after the other), stops the gateway and reads what the store holds.
     *
     * @param dataDirectory where the gateway keeps its data (null: a temp directory)
     * @param storeConnection the store as the test reads it (null: the gateway's embedded store)
     */
    private Run runUnderFault(String storeYaml, Path dataDirectory, boolean restartAfterRepair, Runnable breakStore,
                              Runnable repairStore, Supplier<Connection> storeConnection) throws Exception {
        Path root = Files.createTempDirectory("gatehouse-it-storefaults-");
        Closer started = new Closer();
        try {
            FaultyModel model = started.add(new FaultyModel(1, 0, new FaultyModel.Drip(1, 1)));
            Path data = dataDirectory != null ? dataDirectory : root.resolve("data");
            // The agent and the gateway share the data directory: the development certificates of their mutual TLS.
            AgentServer agent = started.add(TestAgent.start(root.resolve("agent/agent.yaml"), data,
                    Map.of("model", model.uri()), "GATEHOUSE_IT_MODEL_KEY", TestAgent.randomKey()));
            RSAKey devKey = DevKeys.loadOrCreate(root.resolve("issuer"));
            DevIssuer issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));
            Path config = root.resolve("config");
            int port = io.gatehouse.it.support.Loopback.freePort(); // kept across a restart
            write(config.resolve("gateway.yaml"), "listeners:\n  http:\n    host: 127.0.0.1\n    port: " + port + "\n"
                    + "admin:\n  host: 127.0.0.1\n  port: 0\n  auth:\n    providers: [dev]\n"
                    + "agents:\n  local:\n    address: 127.0.0.1:" + agent.port() + "\n"
                    + "identity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer() + "\n"
                    + "      audiences: [" + AUDIENCE + "]\n"
                    + "dataDirectory: " + data + "\n" + storeYaml);
            write(config.resolve("endpoints/openai.yaml"), "id: openai\nlistener: http\npath: /v1\nprotocol: openai\n"
                    + "target:\n  agent: local\n  service: model\npipeline:\n"
                    + "  - recording: {}\n"
                    + "  - auth:\n      providers: [dev]\n");
            GatewayRuntime gateway = TestConfig.startGateway(config);
            String token = DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, "alice", List.of("analysts"),
                    Duration.ofHours(1), Instant.now());
            URI chat = URI.create("http://127.0.0.1:" + gateway.port("http") + "/v1/chat/completions");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();

            ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger next = new AtomicInteger();
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            for (int c = 0; c < CLIENTS; c++) {
                clients.execute(() -> {
                    while (!stop.get()) {
                        seen.add(send(http, chat, token, next.getAndIncrement()));
                    }
                });
            }
            Thread.sleep(1_500);
            long t0 = System.nanoTime();
            breakStore.run();
            int brokenAt = next.get();
            Thread.sleep(OUTAGE.toMillis());
            repairStore.run();
            long faultMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            int repairedAt = next.get();
            // Recovered: ten complete answers in a row, all sent after the repair.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(restartAfterRepair ? 1 : 60);
            int recoveredAfter = -1;
            while (System.nanoTime() < deadline && recoveredAfter < 0) {
                Thread.sleep(200);
                List<Seen> after = seen.stream().filter(s -> s.n() >= repairedAt).sorted(
                        java.util.Comparator.comparingInt(Seen::n)).toList();
                for (int i = 0; i + 10 <= after.size(); i++) {
                    if (after.subList(i, i + 10).stream().allMatch(s -> judge(s) == Outcome.COMPLETE)) {
                        recoveredAfter = after.get(i).n() - repairedAt;
                        break;
                    }
                }
            }
            stop.set(true);
            clients.shutdown();
            assertThat(clients.awaitTermination(2, TimeUnit.MINUTES)).as("the load stopped").isTrue();
            if (restartAfterRepair) {
                gateway.close();
                gateway = TestConfig.startGateway(config);
                int first = next.get();
                boolean allComplete = true;
                for (int i = 0; i < 10; i++) {
                    Seen s = send(http, chat, token, next.getAndIncrement());
                    seen.add(s);
                    allComplete &= judge(s) == Outcome.COMPLETE;
                }
                recoveredAfter = allComplete ? next.get() - first - 10 : -1;
            }
            gateway.close();
            long spoolLeft = countSpool(data.resolve("spool"), "audit-");
            if (storeConnection == null) {
                // The embedded store: a restart drains what only the journal holds, then it is read closed.
                TestConfig.startGateway(config).close();
            }

            Map<Integer, FaultyModel.Fault> served = model.served();
            Map<Outcome, Integer> outcomes = new TreeMap<>();
            List<String> violations = new ArrayList<>();
            Set<Integer> forwardedButRefused = new HashSet<>();
            for (Seen s : seen) {
                Outcome o = judge(s);
                outcomes.merge(o, 1, Integer::sum);
                if (o == Outcome.UNEXPLAINED) {
                    violations.add("request " + s.n() + ": status " + s.status() + (s.cut() ? " cut (" + s.error()
                            + ")" : "") + " " + abbreviate(s.body()));
                }
                if (o == Outcome.REFUSED_NOT_FORWARDED && served.containsKey(s.n())) {
                    forwardedButRefused.add(s.n());
                }
            }
            Set<String> starts = new HashSet<>();
            Set<String> ends = new HashSet<>();
            VerifyReport verified;
            Store store = storeConnection == null ? Store.open(StoreSettings.embedded(data)) : null;
            try (Connection c = store != null ? store.connection() : storeConnection.get()) {
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT record_id, event_type FROM audit_event WHERE endpoint_id = 'openai'");
                     ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        (rs.getString(2).equals("start") ? starts : ends).add(rs.getString(1));
                    }
                }
                verified = AuditVerifier.verify(c, TrustedKeys.none().pin(data.resolve("audit/audit-key.pub.pem"))
                        .withStoreKeys(c));
            } finally {
                if (store != null) {
                    store.close();
                }
            }
            List<String> lost = new ArrayList<>();
            for (Seen s : seen) {
                if (judge(s) == Outcome.COMPLETE && (!starts.contains(s.requestId()) || !ends.contains(s.requestId()))) {
                    lost.add("request " + s.n() + " (" + s.requestId() + "): start " + starts.contains(s.requestId())
                            + ", end " + ends.contains(s.requestId()));
                }
            }
            System.out.printf("store fault: broken at request %d, repaired at %d%n", brokenAt, repairedAt);
            return new Run(List.copyOf(seen), outcomes, violations, lost, forwardedButRefused, verified.ok(),
                    verified.describe(), recoveredAfter, spoolLeft, faultMillis);
        } finally {
            started.close();
            TempDirs.deleteTreeQuietly(root);
        }
    }

    private static void assertInvariants(Run run) {
        assertThat(run.violations()).as("answers that are neither whole nor a clear 503").isEmpty();
        assertThat(run.lost()).as("acknowledged exchanges without their records").isEmpty();
        assertThat(run.forwardedButRefused()).as("refused as unrecordable, yet forwarded to the model").isEmpty();
        assertThat(run.verified()).as(run.verifyReport()).isTrue();
        assertThat(run.recoveredAfter()).as("answers are whole again after the store is back").isNotNegative();
    }

    private static void report(String title, Run run) {
        int complete = run.outcomes().getOrDefault(Outcome.COMPLETE, 0);
        FaultsReport.section(title, run.seen().size() + " requests by " + CLIENTS + " clients; the store was broken "
                + "for " + run.faultMillis() + " ms.\n\n| check | result |\n|---|---|\n"
                + "| outcomes | " + run.outcomes() + " |\n"
                + "| answers neither whole nor a clear 503 | " + run.violations().size() + " |\n"
                + "| complete 2xx without start and end record (lost) | " + run.lost().size() + " of " + complete + " |\n"
                + "| refused as unrecordable yet forwarded | " + run.forwardedButRefused().size() + " |\n"
                + "| whole answers again after the repair | " + (run.recoveredAfter() < 0 ? "no" : "yes, from request "
                + run.recoveredAfter() + " after it") + " |\n"
                + "| spool left after the stop | " + run.spoolLeft() + " files |\n"
                + "| audit chain verifies | " + run.verified() + " |\n");
    }

    static Outcome judge(Seen s) {
        if (s.status() == 200 && !s.cut()) {
            if (s.body().contains("event: error")) {
                return Outcome.WITHHELD;
            }
            if (s.body().contains("END-" + s.n())) {
                return Outcome.COMPLETE;
            }
            return Outcome.UNEXPLAINED;
        }
        if (s.status() == 503) {
            try {
                JsonNode problem = JSON.readTree(s.body());
                if ("Recording unavailable".equals(problem.path("title").asText())) {
                    return Outcome.REFUSED_NOT_FORWARDED;
                }
                if (problem.path("detail").asText().contains("so the answer was withheld")) {
                    return Outcome.WITHHELD;
                }
            } catch (IOException notJson) {
                return Outcome.UNEXPLAINED;
            }
        }
        return Outcome.UNEXPLAINED;
    }

    private static Seen send(HttpClient http, URI chat, String token, int n) {
        boolean stream = n % 3 == 0;
        String body = "{\"model\":\"demo-small\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"store fault " + n + "\"}]}";
        HttpRequest request = HttpRequest.newBuilder(chat).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .header("X-Fault-Seq", Integer.toString(n)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        // The request timeout covers the head only: the whole answer is bounded here, so a hang is seen as one.
        java.util.concurrent.CompletableFuture<HttpResponse<String>> answer =
                http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        try {
            HttpResponse<String> response = answer.get(45, TimeUnit.SECONDS);
            return new Seen(n, response.statusCode(), response.headers().firstValue("Gatehouse-Request-Id")
                    .orElse(null), response.body(), false, null);
        } catch (java.util.concurrent.TimeoutException hang) {
            dumpThreadsOnce("request " + n + " got no whole answer within 45 s");
            answer.cancel(true);
            return new Seen(n, -1, null, "", true, "no whole answer within 45 s");
        } catch (java.util.concurrent.ExecutionException e) {
            return new Seen(n, -1, null, "", true, e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Seen(n, -1, null, "", true, e.toString());
        }
    }

    private static final AtomicBoolean DUMPED = new AtomicBoolean();

    /** A hang says where it hangs: the gateway runs in this JVM, so its threads are in this dump. */
    private static void dumpThreadsOnce(String why) {
        if (!DUMPED.compareAndSet(false, true)) {
            return;
        }
        StringBuilder dump = new StringBuilder("thread dump (" + why + "):\n");
        for (java.lang.management.ThreadInfo t : java.lang.management.ManagementFactory.getThreadMXBean()
                .dumpAllThreads(true, true)) {
            dump.append('"').append(t.getThreadName()).append("\" ").append(t.getThreadState());
            if (t.getLockName() != null) {
                dump.append(" on ").append(t.getLockName());
            }
            dump.append('\n');
            for (StackTraceElement e : t.getStackTrace()) {
                dump.append("    at ").append(e).append('\n');
            }
        }
        System.out.println(dump);
    }

    private static long countSpool(Path spool, String prefix) throws IOException {
        if (!Files.isDirectory(spool)) {
            return 0;
        }
        try (var files = Files.list(spool)) {
            return files.filter(f -> f.getFileName().toString().startsWith(prefix)).count();
        }
    }

    private static void sql(String url, String statement) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    private static int run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    private static String abbreviate(String text) {
        String flat = text.replace("\n", "\\n");
        return flat.length() <= 300 ? flat : flat.substring(0, 300) + " …";
    }
}
