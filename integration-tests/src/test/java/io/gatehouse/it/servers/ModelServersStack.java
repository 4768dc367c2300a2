package io.gatehouse.it.servers;

import static io.gatehouse.it.support.TempDirs.write;

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
import io.gatehouse.samplemodel.SampleModelServer;
import io.gatehouse.samplemodel.SampleModelSettings;
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
 * One sample model speaking every server's own API, behind one agent and one gateway with an endpoint per
 * server, each stripping its prefix as the server expects its paths at the root: {@code /ollama} (protocol
 * {@code ollama}), {@code /v1} (vLLM's OpenAI API and LoRA admin, OpenAI fine-tuning), {@code /tgi} and
 * {@code /llama} (protocol {@code openai}: TGI's and llama.cpp's own routes). Each runs recording, limits,
 * auth, policy, approval and masking (records stored masked too), under this test's policies:
 * <ul>
 *   <li>{@code users} (alice): chat and completions on demo-small only, at most 4 output tokens (written in
 *       when absent) and batch 2, Ollama's timing fields hidden; embeddings batch 2; fine-tuning jobs read
 *       freely, created only once approved by a lead;</li>
 *   <li>{@code leads} (carol, erin): inference, and model administration (Ollama pull/delete, LoRA load/unload,
 *       llama.cpp slots) of {@code demo-*}, {@code qwen3*}, {@code sql-*}, each held for another lead;</li>
 *   <li>{@code auditors} (dave) read the records.</li>
 * </ul>
 * Tokens come from the dev issuer (the identity tests cover Keycloak's).
 */
final class ModelServersStack implements AutoCloseable {

    static final String AUDIENCE = "gatehouse";
    static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY_VARIABLE = "GATEHOUSE_SERVERS_IT_MODEL_KEY";

    final Path root;
    final SampleModelServer model;
    final String modelKey;
    private final RSAKey devKey;
    private final DevIssuer issuer;
    private final GatewayRuntime gateway;
    private final Closer started;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private ModelServersStack(Path root, SampleModelServer model, String modelKey, RSAKey devKey, DevIssuer issuer,
                              GatewayRuntime gateway, Closer started) {
        this.root = root;
        this.model = model;
        this.modelKey = modelKey;
        this.devKey = devKey;
        this.issuer = issuer;
        this.gateway = gateway;
        this.started = started;
    }

    static ModelServersStack start() throws Exception {
        Path root = Files.createTempDirectory("gatehouse-it-servers-");
        Path data = root.resolve("data");
        Closer started = new Closer();
        try {
            String key = TestAgent.randomKey();
            SampleModelServer model = started.add(SampleModelServer.start(SampleModelSettings.loopback(key)
                    .withTokenDelay(Duration.ofMillis(5))));
            AgentServer agent = started.add(TestAgent.start(root.resolve("agent/agent.yaml"), data,
                    Map.of("model", model.baseUri()), KEY_VARIABLE, key));
            RSAKey devKey = DevKeys.loadOrCreate(data);
            DevIssuer issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));

            Path config = root.resolve("config");
            write(config.resolve("gateway.yaml"), "listeners:\n  http:\n    host: 127.0.0.1\n    port: 0\n"
                    + "admin:\n  host: 127.0.0.1\n  port: 0\n  auth:\n    providers: [dev]\n  auditors: [auditors]\n"
                    + "agents:\n  local:\n    address: 127.0.0.1:" + agent.port() + "\n"
                    + "dataDirectory: " + data + "\n"
                    + "identity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer() + "\n"
                    + "      audiences: [" + AUDIENCE + "]\n");
            endpoint(config, "ollama", "/ollama", "ollama", true);
            endpoint(config, "openai", "/v1", "openai", false);
            endpoint(config, "tgi", "/tgi", "openai", true);
            endpoint(config, "llama", "/llama", "openai", true);
            write(config.resolve("policies/users.yaml"), """
                    name: users
                    appliesTo: { groups: [users] }
                    rules:
                      - name: list-models
                        effect: allow
                        operations: [list-models]
                      - name: chat-small
                        effect: allow
                        models: [demo-small, "demo-small:*"]
                        operations: [chat, completion]
                        limits: { maxTokens: 4, maxBatch: 2 }
                        hideFields: [/total_duration, /load_duration]
                      - name: native-completions            # TGI's and llama.cpp's requests name no model
                        effect: allow
                        endpoints: [tgi, llama]
                        operations: [completion]
                        limits: { maxTokens: 4, maxBatch: 2 }
                        hideFields: [/details/seed, /timings]
                      - name: embed-small
                        effect: allow
                        models: [demo-small, "demo-small:*"]
                        operations: [embeddings]
                        limits: { maxBatch: 2 }
                      - name: files
                        effect: allow
                        operations: [file-upload]
                      - name: fine-tune-read
                        effect: allow
                        operations: [fine-tune]
                        methods: [GET]
                      - name: fine-tune-create
                        effect: require-approval
                        operations: [fine-tune]
                        methods: [POST]
                        models: [demo-small]
                        approvers: [leads]
                    """);
            write(config.resolve("policies/leads.yaml"), """
                    name: leads
                    appliesTo: { groups: [leads] }
                    rules:
                      - name: list-models
                        effect: allow
                        operations: [list-models]
                      - name: inference
                        effect: allow
                        operations: [chat, completion, embeddings]
                      - name: model-admin
                        effect: require-approval
                        operations: [model-load, model-unload, model-admin]
                        models: ["demo-*", "qwen3*", "sql-*"]
                        approvers: [leads]
                    """);
            GatewayRuntime gateway = started.add(TestConfig.startGateway(config));
            return new ModelServersStack(root, model, key, devKey, issuer, gateway, started);
        } catch (Exception | Error e) {
            started.close();
            TempDirs.deleteTreeQuietly(root);
            throw e;
        }
    }

    private static void endpoint(Path config, String id, String path, String protocol, boolean strip)
            throws java.io.IOException {
        write(config.resolve("endpoints/" + id + ".yaml"), "id: " + id + "\nlistener: http\npath: " + path + "\n"
                + "protocol: " + protocol + "\ntarget:\n  agent: local\n  service: model\n"
                + (strip ? "  stripPath: true\n" : "")
                + "pipeline:\n  - recording: { masking: {} }\n  - limits:\n      requestTimeout: 60s\n"
                + "  - auth:\n      providers: [dev]\n  - policy: { filterModelLists: true }\n"
                + "  - approval:\n      approvers: [leads]\n  - masking: {}\n");
    }

    /** {@code http://127.0.0.1:<port>} (no path). */
    String base() {
        return "http://127.0.0.1:" + gateway.port("http");
    }

    URI uri(String path) {
        return URI.create(base() + path);
    }

    URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + gateway.adminPort() + path);
    }

    String token(String user, String... groups) {
        return DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, user, List.of(groups), Duration.ofHours(1),
                Instant.now());
    }

    String alice() {
        return token("alice", "users");
    }

    String carol() {
        return token("carol", "leads");
    }

    String erin() {
        return token("erin", "leads");
    }

    HttpResponse<String> send(String method, String path, String token, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String token, String body, String... headers) throws Exception {
        return send("POST", path, token, body, headers);
    }

    /** Approves a held request as {@code approver} through the admin API. */
    void approve(String id, String approver) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(adminUri("/admin/approvals/" + id + "/approve"))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + approver)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"reason\":\"planned\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("approve " + id + " answered " + r.statusCode() + ": " + r.body());
        }
    }

    /** The audit record of an exchange, read by an auditor once its end is written. */
    JsonNode record(HttpResponse<?> response) throws Exception {
        String id = response.headers().firstValue("Gatehouse-Request-Id").orElseThrow();
        String auditor = token("dave", "auditors");
        long deadline = System.nanoTime() + 10_000_000_000L;
        JsonNode record;
        do {
            HttpResponse<String> shown = http.send(HttpRequest.newBuilder(adminUri("/admin/sessions/" + id))
                    .header("Authorization", "Bearer " + auditor).GET().build(), HttpResponse.BodyHandlers.ofString());
            record = JSON.readTree(shown.body());
            if (shown.statusCode() == 200 && record.has("endTime")) {
                return record;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return record;
    }

    static JsonNode json(String text) throws java.io.IOException {
        return JSON.readTree(text);
    }

    /** The JSON lines of an NDJSON body. */
    static List<JsonNode> ndjson(String body) {
        return body.lines().filter(l -> !l.isBlank()).map(l -> {
            try {
                return JSON.readTree(l);
            } catch (java.io.IOException e) {
                throw new IllegalStateException("not a JSON line: " + l, e);
            }
        }).toList();
    }

    /** The {@code data} payloads of an SSE body (with or without a space after {@code data:}). */
    static List<String> sseData(String body) {
        return body.lines().filter(l -> l.startsWith("data:")).map(l -> l.substring(5).stripLeading()).toList();
    }

    @Override
    public void close() {
        started.close();
        TempDirs.deleteTreeQuietly(root);
    }
}
