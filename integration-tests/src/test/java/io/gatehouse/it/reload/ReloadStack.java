package io.gatehouse.it.reload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.cli.GatehouseCommand;
import io.gatehouse.cli.dev.DevIssuer;
import io.gatehouse.cli.dev.DevKeys;
import io.gatehouse.cli.dev.DevTokens;
import io.gatehouse.gateway.route.GatewayRuntime;
import io.gatehouse.it.support.Closer;
import io.gatehouse.it.support.Logs;
import io.gatehouse.it.support.Loopback;
import io.gatehouse.it.support.TempDirs;
import io.gatehouse.it.support.TestAgent;
import io.gatehouse.it.support.TestConfig;
import io.gatehouse.samplemodel.SampleModelServer;
import io.gatehouse.samplemodel.SampleModelSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Sample model, agent and dev issuer on loopback, and a gateway config directory the tests edit: endpoint
 * {@code openai} (recording, auth, policy, approval of every embeddings request), policy {@code analysts}
 * (chat and embeddings on demo-small). The gateway runs in this JVM, or as a child JVM ({@code gatehouse
 * serve}) that a test sends SIGTERM.
 */
final class ReloadStack implements AutoCloseable {

    static final String AUDIENCE = "gatehouse";
    static final String KEY_VARIABLE = "GATEHOUSE_RELOAD_IT_MODEL_KEY";
    static final ObjectMapper JSON = new ObjectMapper();

    final Path root;
    final Path config;
    final Path data;
    final int port;
    final int adminPort;
    private final int agentPort;
    private final RSAKey devKey;
    private final DevIssuer issuer;
    private final Closer started;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    GatewayRuntime gateway;
    Process child;
    Path childLog;

    /** Appended to gateway.yaml: the store (empty: H2 under the data directory). */
    String storeYaml = "";
    private final boolean ownsInfrastructure;

    private ReloadStack(Path root, int agentPort, RSAKey devKey, DevIssuer issuer, Closer started) throws IOException {
        this(root, root, agentPort, devKey, issuer, started, true);
    }

    private ReloadStack(Path root, Path base, int agentPort, RSAKey devKey, DevIssuer issuer, Closer started,
                        boolean ownsInfrastructure) throws IOException {
        this.ownsInfrastructure = ownsInfrastructure;
        this.root = root;
        this.config = base.resolve("config");
        this.data = base.resolve("data");
        this.port = Loopback.freePort();
        this.adminPort = Loopback.freePort();
        this.agentPort = agentPort;
        this.devKey = devKey;
        this.issuer = issuer;
        this.started = started;
    }

    static ReloadStack start() throws Exception {
        Path root = Files.createTempDirectory("gatehouse-it-reload-");
        Closer started = new Closer();
        try {
            String key = TestAgent.randomKey();
            SampleModelServer model = started.add(SampleModelServer.start(SampleModelSettings.loopback(key)
                    .withTokenDelay(Duration.ZERO)));
            AgentServer agent = started.add(TestAgent.start(root.resolve("agent/agent.yaml"),
                    root.resolve("agent-data"), Map.of("demo-model", model.baseUri()), KEY_VARIABLE, key));
            RSAKey devKey = DevKeys.loadOrCreate(root.resolve("issuer-data"));
            DevIssuer issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));
            ReloadStack stack = new ReloadStack(root, agent.port(), devKey, issuer, started);
            stack.writeConfig("");
            return stack;
        } catch (Exception | Error e) {
            started.close();
            TempDirs.deleteTreeQuietly(root);
            throw e;
        }
    }

    /** Another gateway (its own config, data and ports) beside the same model, agent and issuer. */
    ReloadStack replica(String name, String store) throws IOException {
        ReloadStack r = new ReloadStack(root, root.resolve(name), agentPort, devKey, issuer, started, false);
        r.storeYaml = store;
        r.writeConfig("");
        return r;
    }

    /** gateway.yaml (with {@code extra} appended), the endpoint and the analysts policy. */
    void writeConfig(String extra) throws IOException {
        TempDirs.write(config.resolve("gateway.yaml"), gatewayYaml(port) + extra);
        writeEndpoint("");
        writePolicy("[demo-small]");
        Path certs = root.resolve("agent-data").resolve(io.gatehouse.agent.DevCertificates.DIRECTORY);
        Path copy = Files.createDirectories(data.resolve(io.gatehouse.agent.DevCertificates.DIRECTORY));
        try (Stream<Path> files = Files.list(certs)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, copy.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    String gatewayYaml(int listenerPort) {
        return "listeners:\n  http:\n    host: 127.0.0.1\n    port: " + listenerPort + "\n"
                + "admin:\n  host: 127.0.0.1\n  port: " + adminPort + "\n  auth:\n    providers: [dev]\n"
                + "  auditors: [auditors, ml-leads]\n"
                + "agents:\n  local:\n    address: 127.0.0.1:" + agentPort + "\n"
                + "identity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer() + "\n"
                + "      audiences: [" + AUDIENCE + "]\n"
                + "dataDirectory: " + data + "\n" + storeYaml;
    }

    /** The endpoint; {@code extraSteps} go after the approval step (e.g. a limits step). */
    void writeEndpoint(String approvalExtra) throws IOException {
        TempDirs.write(config.resolve("endpoints/openai.yaml"), "id: openai\nlistener: http\npath: /v1\n"
                + "protocol: openai\ntarget:\n  agent: local\n  service: demo-model\npipeline:\n"
                + "  - recording: {}\n"
                + "  - auth:\n      providers: [dev]\n"
                + "  - policy: {}\n"
                + "  - approval:\n      when: {operations: [embeddings]}\n      approvers: [ml-leads]\n"
                + "      maxWait: 120s\n" + approvalExtra);
    }

    /** The analysts policy: chat and embeddings on {@code models}. */
    void writePolicy(String models) throws IOException {
        TempDirs.write(config.resolve("policies/analysts.yaml"), "name: analysts\nappliesTo:\n  groups: [analysts]\n"
                + "rules:\n  - name: chat\n    effect: allow\n    models: " + models + "\n"
                + "    operations: [chat, embeddings]\n");
    }

    ReloadStack startInJvm() throws Exception {
        gateway = TestConfig.startGateway(config);
        return this;
    }

    /** {@code gatehouse serve} as a child JVM; returns once {@code /readyz} answers 200. */
    ReloadStack startChild() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        childLog = root.resolve("gateway.log");
        child = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), GatehouseCommand.class.getName(), "serve", "--config",
                config.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(childLog.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!child.isAlive()) {
                throw new IllegalStateException("gateway exited with " + child.exitValue() + ":\n" + log());
            }
            try {
                if (http.send(HttpRequest.newBuilder(adminUri("/readyz")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return this;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        child.destroyForcibly();
        throw new IllegalStateException("gateway was not ready within 90 s:\n" + log());
    }

    String log() {
        return Logs.tail(childLog, 80);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + adminPort + path);
    }

    String token(String user, String... groups) {
        return DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, user, List.of(groups), Duration.ofHours(1),
                Instant.now());
    }

    String alice() {
        return token("alice", "analysts");
    }

    String carol() {
        return token("carol", "ml-leads");
    }

    String dave() {
        return token("dave", "auditors");
    }

    static String words(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            b.append(i == 1 ? "" : " ").append("w").append(i);
        }
        return b.toString();
    }

    static String chat(String prompt, boolean stream) {
        return "{\"model\":\"demo-small\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\""
                + prompt + "\"}]}";
    }

    HttpRequest post(String path, String token, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(180))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.build();
    }

    HttpResponse<String> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    CompletableFuture<HttpResponse<String>> sendAsync(HttpRequest request) {
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    /** A slow SSE chat stream: {@code words} words at {@code delayMs} each. */
    CompletableFuture<HttpResponse<String>> stream(int words, int delayMs) {
        return sendAsync(post("/v1/chat/completions", alice(), chat(words(words), true), "Accept",
                "text/event-stream", "X-Sample-Token-Delay-Ms", String.valueOf(delayMs)));
    }

    /** An embeddings request held for approval until decided ({@code Prefer: wait}). */
    CompletableFuture<HttpResponse<String>> held(int n) {
        return sendAsync(post("/v1/embeddings", alice(), "{\"model\":\"demo-small\",\"input\":\"held " + n + "\"}",
                "Prefer", "wait=120"));
    }

    /** The text an SSE answer streamed, in order, and whether it ended with {@code [DONE]}. */
    static String streamedText(String body) throws IOException {
        StringBuilder text = new StringBuilder();
        for (String line : body.split("\n")) {
            if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
                JsonNode delta = JSON.readTree(line.substring(6)).path("choices").path(0).path("delta");
                text.append(delta.path("content").asText(""));
            }
        }
        return text.toString();
    }

    HttpResponse<String> admin(String method, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(adminUri(path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token);
        b = method.equals("GET") ? b.GET() : b.POST(HttpRequest.BodyPublishers.noBody());
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> approve(String id) throws Exception {
        return http.send(HttpRequest.newBuilder(adminUri("/admin/approvals/" + id + "/approve"))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + carol())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"reason\":\"go\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until {@code n} approvals are pending; returns their ids. */
    List<String> awaitPending(int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        List<String> ids = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            ids.clear();
            JsonNode list = JSON.readTree(admin("GET", "/admin/approvals?status=pending", carol()).body());
            list.path("approvals").forEach(a -> ids.add(a.path("id").asText()));
            if (ids.size() >= n) {
                return ids;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("only " + ids.size() + " of " + n + " requests were held");
    }

    /** The recorded exchange, through the admin API. */
    JsonNode record(String requestId) throws Exception {
        HttpResponse<String> r = admin("GET", "/admin/sessions/" + requestId, dave());
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }

    static JsonNode json(String text) throws IOException {
        return JSON.readTree(text);
    }

    @Override
    public void close() {
        if (gateway != null) {
            gateway.close();
        }
        if (child != null && child.isAlive()) {
            child.destroyForcibly();
        }
        if (ownsInfrastructure) {
            started.close();
            TempDirs.deleteTreeQuietly(root);
        }
    }
}
