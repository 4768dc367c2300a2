package io.gatehouse.it.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.agent.DevCertificates;
import io.gatehouse.cli.GatehouseCommand;
import io.gatehouse.cli.dev.DevIssuer;
import io.gatehouse.cli.dev.DevKeys;
import io.gatehouse.cli.dev.DevTokens;
import io.gatehouse.gateway.route.GatewayRuntime;
import io.gatehouse.it.support.Closer;
import io.gatehouse.it.support.Loopback;
import io.gatehouse.it.support.TempDirs;
import io.gatehouse.it.support.TestAgent;
import io.gatehouse.it.support.TestConfig;
import io.gatehouse.samplemodel.SampleModelServer;
import io.gatehouse.samplemodel.SampleModelSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Replay-and-diff through the real gateway, agent (mutual TLS), PostgreSQL store and two sample models: the
 * second answers "Shadow says: ..." where the first says "You said: ...", and stands in for the next model
 * version ({@code shadow-model}); {@code twin-model} is a second agent service in front of the first model (the
 * same version under another name). Callers are dev-issuer tokens: alice calls the model, rita is an auditor
 * with the replay right, dave an auditor without it.
 */
class ReplayDiffIT {

    private static final String KEY_VARIABLE = "GATEHOUSE_REPLAY_IT_MODEL_KEY";
    private static final String POSTGRES_ADMIN = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static final Closer started = new Closer();
    private static Path root;
    private static String key;
    private static SampleModelServer shadow;
    private static RSAKey devKey;
    private static DevIssuer issuer;
    private static GatewayRuntime gateway;
    private static int port;
    private static int adminPort;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createTempDirectory("gatehouse-it-replay-");
        String database = "gatehouse_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = DriverManager.getConnection(POSTGRES_ADMIN); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        }
        started.add(() -> {
            try (Connection c = DriverManager.getConnection(POSTGRES_ADMIN); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            }
        });
        key = TestAgent.randomKey();
        SampleModelServer model = started.add(SampleModelServer.start(SampleModelSettings.loopback(key)
                .withTokenDelay(Duration.ZERO)));
        shadow = started.add(SampleModelServer.start(SampleModelSettings.loopback(key)
                .withTokenDelay(Duration.ZERO).withAnswerPrefix("Shadow says: ")));
        Map<String, URI> services = new LinkedHashMap<>();
        services.put("demo-model", model.baseUri());
        services.put("twin-model", model.baseUri());
        services.put("shadow-model", shadow.baseUri());
        AgentServer agent = started.add(TestAgent.start(root.resolve("agent/agent.yaml"), root.resolve("agent-data"),
                services, KEY_VARIABLE, key));
        devKey = DevKeys.loadOrCreate(root.resolve("issuer-data"));
        issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));

        Path config = root.resolve("config");
        Path data = root.resolve("data");
        port = Loopback.freePort();
        adminPort = Loopback.freePort();
        TempDirs.write(config.resolve("gateway.yaml"), "listeners:\n  http:\n    host: 127.0.0.1\n    port: " + port
                + "\nadmin:\n  host: 127.0.0.1\n  port: " + adminPort + "\n  auth:\n    providers: [dev]\n"
                + "  auditors: [auditors]\n  replayers: [replayers]\n"
                + "agents:\n  local:\n    address: 127.0.0.1:" + agent.port() + "\n"
                + "identity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer() + "\n"
                + "      audiences: [gatehouse]\n"
                + "dataDirectory: " + data + "\n"
                + "store:\n  url: jdbc:postgresql://127.0.0.1:5432/" + database + "?user=postgres\n");
        // Records stored masked (e-mail addresses), as the demo does.
        TempDirs.write(config.resolve("endpoints/openai.yaml"), "id: openai\nlistener: http\npath: /v1\n"
                + "protocol: openai\ntarget:\n  agent: local\n  service: demo-model\npipeline:\n"
                + "  - recording:\n      masking:\n        detectors: {email: redact}\n"
                + "  - auth:\n      providers: [dev]\n");
        // Records cut at 400 bytes: a longer prompt's stored body is incomplete. The prefix is stripped.
        TempDirs.write(config.resolve("endpoints/cut.yaml"), "id: cut\nlistener: http\npath: /cut\n"
                + "protocol: openai\ntarget:\n  agent: local\n  service: demo-model\n  stripPath: true\npipeline:\n"
                + "  - recording:\n      maxBodyBytes: 400\n"
                + "  - auth:\n      providers: [dev]\n");
        Path certs = root.resolve("agent-data").resolve(DevCertificates.DIRECTORY);
        Files.createDirectories(data.resolve(DevCertificates.DIRECTORY));
        try (Stream<Path> files = Files.list(certs)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, data.resolve(DevCertificates.DIRECTORY).resolve(f.getFileName()));
            }
        }
        gateway = TestConfig.startGateway(config);
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        started.close();
        TempDirs.deleteTreeQuietly(root);
    }

    private static String token(String user, String... groups) {
        return DevTokens.issue(devKey, issuer.issuer(), "gatehouse", user, List.of(groups), Duration.ofHours(1),
                Instant.now());
    }

    private static String rita() {
        return token("rita", "auditors", "replayers");
    }

    /** Sends a chat through the gateway as {@code user}; returns its record id. */
    private static String chat(String user, String path, String content, boolean stream) throws Exception {
        String body = "{\"model\":\"demo-small\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"" + content + "\"}]}";
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token(user, "analysts"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.headers().firstValue("Gatehouse-Request-Id").orElseThrow();
    }

    private static HttpResponse<String> admin(String method, String pathAndQuery, String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + pathAndQuery))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String cli(String... args) {
        PrintStream out0 = System.out;
        PrintStream err0 = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrintStream capture = new PrintStream(out, true, StandardCharsets.UTF_8);
            System.setOut(capture);
            System.setErr(capture);
            capture.println("exit=" + GatehouseCommand.commandLine().execute(args));
        } finally {
            System.setOut(out0);
            System.setErr(err0);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aReplayToTheShadowVersionShowsTheChangedAnswerAndIsRecordedAsItsOwnExchange() throws Exception {
        String id = chat("alice", "/v1/chat/completions", "how warm is the sea", false);
        String rita = rita();

        HttpResponse<String> r = admin("POST", "/admin/replay-diff/" + id + "?service=shadow-model", rita);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("outcome").asText()).isEqualTo("different");
        assertThat(body.path("agent").asText()).isEqualTo("local");
        JsonNode changes = body.path("diff").path("changes");
        assertThat(changes).hasSize(1);
        assertThat(changes.get(0).path("op").asText()).isEqualTo("replace");
        assertThat(changes.get(0).path("path").asText()).isEqualTo("/choices/0/message/content");
        assertThat(changes.get(0).path("recorded").asText()).isEqualTo("You said: how warm is the sea");
        assertThat(changes.get(0).path("replayed").asText()).isEqualTo("Shadow says: how warm is the sea");
        assertThat(body.path("diff").path("recordedAnswer").path("choices").get(0).path("message").path("content")
                .asText()).isEqualTo("You said: how warm is the sea");

        // The replay is an exchange of its own: who replayed, in which session, which record, where to.
        String replayId = body.path("replayRecordId").asText();
        JsonNode replay = JSON.readTree(admin("GET", "/admin/sessions/" + replayId, rita).body());
        assertThat(replay.path("endpoint").asText()).isEqualTo("replay");
        assertThat(replay.path("username").asText()).isEqualTo("rita");
        assertThat(replay.path("sessionId").asText()).isNotBlank();
        assertThat(replay.path("decision").asText()).isEqualTo("allowed");
        assertThat(replay.path("replayOf").path("recordId").asText()).isEqualTo(id);
        assertThat(replay.path("replayOf").path("service").asText()).isEqualTo("shadow-model");
        assertThat(replay.path("replayOf").path("outcome").asText()).isEqualTo("different");
        assertThat(replay.path("request").path("path").asText()).isEqualTo("/v1/chat/completions");
        // The endpoint stores answers masked, which a replay cannot do: size and digest only.
        assertThat(replay.path("response").path("body").has("text")).isFalse();
        assertThat(replay.path("response").path("body").path("sha256").asText()).hasSize(64);
        JsonNode sessions = JSON.readTree(admin("GET", "/admin/sessions?endpoint=replay&user=rita", rita).body());
        assertThat(sessions.path("sessions").findValuesAsText("recordId")).contains(replayId);
        JsonNode verify = JSON.readTree(admin("GET", "/admin/audit/verify", rita).body());
        assertThat(verify.path("ok").asBoolean()).as(verify.toString()).isTrue();
    }

    @Test
    void aReplayToTheSameVersionUnderAnotherServiceIsTheSameWholeAndStreamed() throws Exception {
        String whole = chat("alice", "/v1/chat/completions", "same again", false);
        String streamed = chat("alice", "/v1/chat/completions", "stream me three words", true);

        JsonNode same = JSON.readTree(admin("POST", "/admin/replay-diff/" + whole + "?service=twin-model", rita())
                .body());
        JsonNode streamSame = JSON.readTree(admin("POST", "/admin/replay-diff/" + streamed + "?service=twin-model",
                rita()).body());
        JsonNode streamShadow = JSON.readTree(admin("POST", "/admin/replay-diff/" + streamed
                + "?service=shadow-model", rita()).body());

        assertThat(same.path("outcome").asText()).as(same.toString()).isEqualTo("same");
        assertThat(same.path("diff").path("changes")).isEmpty();
        assertThat(streamSame.path("outcome").asText()).as(streamSame.toString()).isEqualTo("same");
        assertThat(streamSame.path("diff").path("kind").asText()).isEqualTo("stream-text");
        assertThat(streamSame.path("diff").path("recordedAnswer").asText()).isEqualTo("You said: stream me three words");
        assertThat(streamShadow.path("outcome").asText()).isEqualTo("different");
        assertThat(streamShadow.path("diff").path("replayedAnswer").asText())
                .isEqualTo("Shadow says: stream me three words");
        assertThat(streamShadow.path("diff").path("unified").asText()).contains("-You said: stream me three words")
                .contains("+Shadow says: stream me three words");
    }

    @Test
    void aMaskedOrIncompleteStoredBodyIsRefusedAndNeverSent() throws Exception {
        String masked = chat("alice", "/v1/chat/completions", "write to alice@example.com about it", false);
        String cut = chat("alice", "/cut/v1/chat/completions", "this prompt is longer than the four hundred bytes"
                + " the cut endpoint records of each request body. ".repeat(9), false);
        String whole = chat("alice", "/cut/v1/chat/completions", "short", false);
        int shadowCalls = shadow.keyUses(key);

        HttpResponse<String> m = admin("POST", "/admin/replay-diff/" + masked + "?service=shadow-model", rita());
        HttpResponse<String> c = admin("POST", "/admin/replay-diff/" + cut + "?service=shadow-model", rita());

        assertThat(m.statusCode()).isEqualTo(409);
        assertThat(m.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        JsonNode mp = JSON.readTree(m.body());
        assertThat(mp.path("title").asText()).isEqualTo("Not replayable");
        assertThat(mp.path("maskedFields").get(0).asText()).isEqualTo("/messages/0/content");
        assertThat(mp.path("maskedBy").path("email").asInt()).isEqualTo(1);
        assertThat(mp.path("detail").asText()).startsWith("the stored request body has masked fields:"
                + " /messages/0/content");
        assertThat(c.statusCode()).isEqualTo(409);
        assertThat(JSON.readTree(c.body()).path("detail").asText())
                .startsWith("the stored request body is incomplete: the recording cut it");
        assertThat(shadow.keyUses(key)).isEqualTo(shadowCalls);

        // A whole body on the stripping endpoint goes to the model under the stripped path.
        JsonNode ok = JSON.readTree(admin("POST", "/admin/replay-diff/" + whole + "?service=shadow-model", rita())
                .body());
        assertThat(ok.path("outcome").asText()).as(ok.toString()).isEqualTo("different");
        assertThat(shadow.keyUses(key)).isEqualTo(shadowCalls + 1);
    }

    @Test
    void auditorsWithoutTheReplayRightAndNonAuditorsGet403() throws Exception {
        String id = chat("alice", "/v1/chat/completions", "not for dave", false);
        int shadowCalls = shadow.keyUses(key);

        HttpResponse<String> dave = admin("POST", "/admin/replay-diff/" + id + "?service=shadow-model",
                token("dave", "auditors"));
        HttpResponse<String> notAuditor = admin("POST", "/admin/replay-diff/" + id + "?service=shadow-model",
                token("eve", "replayers"));

        assertThat(dave.statusCode()).isEqualTo(403);
        assertThat(dave.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        JsonNode problem = JSON.readTree(dave.body());
        assertThat(problem.path("detail").asText()).isEqualTo("replay-and-diff needs the replay right: members of"
                + " replayers; dave is in auditors");
        assertThat(notAuditor.statusCode()).isEqualTo(403);
        assertThat(shadow.keyUses(key)).isEqualTo(shadowCalls);
        // The refused admin call is recorded as a denial with its rule.
        JsonNode denied = JSON.readTree(admin("GET", "/admin/sessions?endpoint=admin&user=dave&decision=denied",
                rita()).body());
        assertThat(denied.path("count").asInt()).isGreaterThanOrEqualTo(1);
        String deniedId = denied.path("sessions").get(0).path("recordId").asText();
        JsonNode record = JSON.readTree(admin("GET", "/admin/sessions/" + deniedId, rita()).body());
        assertThat(record.path("rule").path("rule").asText()).isEqualTo("replay-right");
    }

    @Test
    void theCliReplaysOneRecordAndABatchWithASummary() throws Exception {
        String first = chat("bea", "/v1/chat/completions", "first question", false);
        chat("bea", "/v1/chat/completions", "mail bea@example.com the answer", false);
        String admin = "http://127.0.0.1:" + adminPort;

        String one = cli("sessions", "replay-diff", first, "--service", "shadow-model", "--admin", admin, "--token",
                rita());
        String oneSame = cli("sessions", "replay-diff", first, "--service", "twin-model", "--admin", admin, "--token",
                rita());
        String batch = cli("sessions", "replay-diff", "--service", "shadow-model", "--user", "bea", "--admin", admin,
                "--token", rita());
        String batchJson = cli("sessions", "replay-diff", "--service", "twin-model", "--user", "bea", "--json",
                "--admin", admin, "--token", rita());
        String forbidden = cli("sessions", "replay-diff", first, "--service", "shadow-model", "--admin", admin,
                "--token", token("dave", "auditors"));

        assertThat(one).contains("record " + first + " (endpoint openai) replayed to shadow-model through agent"
                + " local: DIFFERENT").contains("  replace /choices/0/message/content\n    - \"You said: first"
                + " question\"\n    + \"Shadow says: first question\"").contains("exit=1");
        assertThat(oneSame).contains(": SAME").contains("changes: 0").contains("exit=0");
        assertThat(batch).contains(first).contains("/choices/0/message/content")
                .contains("the stored request body has masked fields: /messages/0/content")
                .contains("to shadow-model: 2 replayed: 0 same, 1 different, 1 failed").contains("exit=2");
        // Log lines of the gateway in this JVM may surround the printed JSON: take the top-level object.
        String printed = batchJson.substring(batchJson.indexOf("{\n"), batchJson.lastIndexOf("\n}\n") + 2);
        JsonNode summary = JSON.readTree(printed).path("summary");
        assertThat(summary.path("same").asInt()).isEqualTo(1);
        assertThat(summary.path("different").asInt()).isEqualTo(0);
        assertThat(summary.path("failed").asInt()).isEqualTo(1);
        assertThat(forbidden).contains("403: Forbidden: replay-and-diff needs the replay right").contains("exit=2");
    }
}
