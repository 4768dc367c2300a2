package io.gatehouse.it.hardening;

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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Gateway, agent, dev issuer and a {@link CountingModel} on loopback, for the hardening tests. Listener
 * {@code http} serves {@code /v1} (openai), {@code /api} (ollama) and {@code /public} (raw, no auth: the
 * prefix a traversal would start from); listener {@code small} serves {@code /v1} with a connection
 * limit of {@value #SMALL_LIMIT} and records {@value #SMALL_REFUSAL_RECORDS} of its own refusals one by one
 * per second; listener {@code idle} serves {@code /v1} with room for {@value #IDLE_LISTENER_LIMIT}
 * connections and an idle timeout of {@value #IDLE_LISTENER_TIMEOUT}. Every endpoint records. The other
 * listeners' timeouts are short so the slow-client tests end quickly: header {@value #HEADER_TIMEOUT}, body {@value #BODY_TIMEOUT}, idle {@value #IDLE_TIMEOUT}.
 */
final class HardeningStack implements AutoCloseable {

    static final String AUDIENCE = "gatehouse";
    static final String HEADER_TIMEOUT = "1s";
    static final String BODY_TIMEOUT = "1s";
    static final String IDLE_TIMEOUT = "2s";
    static final int SMALL_LIMIT = 20;
    /** Listener {@code idle}: room for 10,000 idle connections and one more client, closed after this. */
    static final String IDLE_LISTENER_TIMEOUT = "20s";
    static final int IDLE_LISTENER_LIMIT = 10_100;
    /** Refusals listener {@code small} records one by one per second (the rest go into summaries). */
    static final int SMALL_REFUSAL_RECORDS = 5;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    final Path root;
    final CountingModel model;
    final GatewayRuntime gateway;
    private final RSAKey devKey;
    private final DevIssuer issuer;
    private final Closer started;

    private HardeningStack(Path root, CountingModel model, GatewayRuntime gateway, RSAKey devKey, DevIssuer issuer,
                           Closer started) {
        this.root = root;
        this.model = model;
        this.gateway = gateway;
        this.devKey = devKey;
        this.issuer = issuer;
        this.started = started;
    }

    static HardeningStack start() throws Exception {
        Path root = Files.createTempDirectory("gatehouse-it-hardening-");
        Closer started = new Closer();
        try {
            Path data = root.resolve("data");
            CountingModel model = started.add(CountingModel.start());
            String key = TestAgent.randomKey();
            AgentServer agent = started.add(TestAgent.start(root.resolve("agent/agent.yaml"), data,
                    Map.of("model", model.uri()), "GATEHOUSE_IT_MODEL_KEY", key));
            RSAKey devKey = DevKeys.loadOrCreate(data);
            DevIssuer issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));
            Path config = root.resolve("config");
            String limits = "    headerReadTimeout: " + HEADER_TIMEOUT + "\n    bodyReadTimeout: " + BODY_TIMEOUT
                    + "\n    idleTimeout: " + IDLE_TIMEOUT + "\n";
            TempDirs.write(config.resolve("gateway.yaml"), "listeners:\n"
                    + "  http:\n    host: 127.0.0.1\n    port: 0\n    maxBodyBytes: 64KiB\n" + limits
                    + "  small:\n    host: 127.0.0.1\n    port: 0\n    maxConnections: " + SMALL_LIMIT + "\n"
                    + "    refusalRecordsPerSecond: " + SMALL_REFUSAL_RECORDS + "\n" + limits
                    + "  idle:\n    host: 127.0.0.1\n    port: 0\n    idleTimeout: " + IDLE_LISTENER_TIMEOUT + "\n"
                    + "    maxConnections: " + IDLE_LISTENER_LIMIT + "\n"
                    + "admin:\n  host: 127.0.0.1\n  port: 0\n  auth:\n    providers: [dev]\n  auditors: [auditors]\n"
                    + "agents:\n  local:\n    address: 127.0.0.1:" + agent.port() + "\n"
                    + "identity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer() + "\n"
                    + "      audiences: [" + AUDIENCE + "]\n"
                    + "dataDirectory: " + data + "\n");
            String auth = "  - auth:\n      providers: [dev]\n";
            endpoint(config, "openai", "http", "/v1", "openai", auth);
            endpoint(config, "ollama", "http", "/api", "ollama", auth);
            endpoint(config, "public", "http", "/public", "raw", "");
            endpoint(config, "small", "small", "/v1", "openai", auth);
            endpoint(config, "idle", "idle", "/v1", "openai", auth);
            GatewayRuntime gateway = started.add(TestConfig.startGateway(config));
            return new HardeningStack(root, model, gateway, devKey, issuer, started);
        } catch (Exception | Error e) {
            started.close();
            TempDirs.deleteTree(root);
            throw e;
        }
    }

    private static void endpoint(Path config, String id, String listener, String path, String protocol, String steps)
            throws java.io.IOException {
        TempDirs.write(config.resolve("endpoints/" + id + ".yaml"), "id: " + id + "\nlistener: " + listener
                + "\npath: " + path + "\nprotocol: " + protocol + "\ntarget:\n  agent: local\n  service: model\n"
                + "pipeline:\n  - recording: {}\n" + steps);
    }

    int port() {
        return gateway.port("http");
    }

    int smallPort() {
        return gateway.port("small");
    }

    int idlePort() {
        return gateway.port("idle");
    }

    int adminPort() {
        return gateway.adminPort();
    }

    String token() {
        return token("alice", List.of("analysts"));
    }

    String token(String user, List<String> groups) {
        return DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, user, groups, Duration.ofHours(1), Instant.now());
    }

    /** An unrelated, well-behaved client: GET /v1/models with a token, on a new connection. */
    int unrelatedStatus() throws Exception {
        return unrelatedStatus(port());
    }

    /** As {@link #unrelatedStatus()}, on the listener of {@code port}. */
    int unrelatedStatus(int port) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models"))
                .header("Authorization", "Bearer " + token()).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode();
    }

    /** The audit record of a request id, once its end is written; null if there is none within 10 s. */
    JsonNode record(String requestId) throws Exception {
        String auditor = token("ada", List.of("auditors"));
        long deadline = System.nanoTime() + 10_000_000_000L;
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> shown = HTTP.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + adminPort() + "/admin/sessions/" + requestId))
                    .header("Authorization", "Bearer " + auditor).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (shown.statusCode() == 200) {
                last = JSON.readTree(shown.body());
                if (last.has("endTime")) {
                    return last;
                }
            }
            Thread.sleep(50);
        }
        return last;
    }

    /** The full records (as {@code /admin/sessions/{id}} shows them) of an endpoint, e.g. {@code listener:http}. */
    List<JsonNode> records(String endpoint) throws Exception {
        String auditor = token("ada", List.of("auditors"));
        HttpResponse<String> listed = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort()
                        + "/admin/sessions?limit=1000&endpoint=" + java.net.URLEncoder.encode(endpoint,
                        java.nio.charset.StandardCharsets.UTF_8)))
                .header("Authorization", "Bearer " + auditor).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (listed.statusCode() != 200) {
            throw new IllegalStateException("sessions list answered " + listed.statusCode() + ": " + listed.body());
        }
        List<JsonNode> records = new java.util.ArrayList<>();
        for (JsonNode row : JSON.readTree(listed.body()).path("sessions")) {
            JsonNode record = record(row.path("recordId").asText());
            if (record != null) {
                records.add(record);
            }
        }
        return records;
    }

    @Override
    public void close() {
        started.close();
        TempDirs.deleteTree(root);
    }
}
