package io.gatehouse.it.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.agent.AgentSettings;
import io.gatehouse.config.LoadResult;
import io.gatehouse.config.YamlFiles;
import io.gatehouse.gateway.GatewayAssembly;
import io.gatehouse.gateway.route.GatewayRuntime;
import io.gatehouse.samplemodel.SampleModelServer;
import io.gatehouse.samplemodel.SampleModelSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The policies and the approval flow of {@code config/examples/keycloak} with real Keycloak tokens
 * (password grant; erin, the realm's OTP-enrolled member of ml-leads, with her TOTP code), where
 * {@code PolicyIT} and {@code ApprovalFlowIT} use dev-issuer tokens. The gateway runs from a copy of
 * that example adapted to this run: free ports, the running Keycloak's issuer and the data and plugin
 * paths. Keycloak is the shared instance of this JVM.
 */
class KeycloakPolicyAndApprovalIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY_VARIABLE = "DEMO_MODEL_API_KEY";
    private static final String MODEL_KEY = "sk-keycloak-policy-it-" + Long.toHexString(System.nanoTime());
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static KeycloakServer keycloak;
    private static Path root;
    private static final List<AutoCloseable> STARTED = new ArrayList<>();
    private static GatewayRuntime gateway;

    @BeforeAll
    static void start() throws Exception {
        keycloak = KeycloakServer.shared();
        root = Files.createTempDirectory("gatehouse-it-keycloak-policy-");
        Path example = KeycloakServer.repoRoot().resolve("config/examples/keycloak");
        Path config = root.resolve("config");
        KeycloakServer.copyRecursively(example, config);
        Path data = root.resolve("data");

        SampleModelServer model = SampleModelServer.start(SampleModelSettings.loopback(MODEL_KEY)
                .withTokenDelay(Duration.ZERO));
        STARTED.add(model);
        Path agentYaml = config.resolve("agent.yaml");
        edit(agentYaml, Map.of("port: 7443", "port: 0",
                "dataDirectory: ../../../data", "dataDirectory: " + data,
                "url: http://127.0.0.1:8000", "url: " + model.baseUri()));
        LoadResult<AgentSettings> settings = YamlFiles.bind(agentYaml, AgentSettings.class,
                name -> KEY_VARIABLE.equals(name) ? MODEL_KEY : null, Map.of("services", "service"));
        AgentServer agent = AgentServer.start(settings.orThrow());
        STARTED.add(agent);
        Files.delete(agentYaml); // the gateway's config directory holds gateway.yaml, endpoints and policies

        edit(config.resolve("gateway.yaml"), Map.of(
                "port: 8080", "port: " + KeycloakServer.freePort(),
                "  port: 8081 ", "  port: " + KeycloakServer.freePort() + " ",
                "address: 127.0.0.1:7443", "address: 127.0.0.1:" + agent.port(),
                "issuer: http://127.0.0.1:8180/realms/gatehouse", "issuer: " + keycloak.issuer(),
                "dataDirectory: ./data", "dataDirectory: " + data,
                "directory: ../../../plugins/header-stamp/target", "directory: "
                        + KeycloakServer.repoRoot().resolve("plugins/header-stamp/target")));
        GatewayAssembly.Loaded loaded = GatewayAssembly.load(config, name -> null);
        if (!loaded.errors().isEmpty()) {
            throw new IllegalStateException("test config is invalid:\n" + String.join("\n", loaded.errors()));
        }
        gateway = GatewayRuntime.start(loaded.config(), loaded.registry());
        STARTED.add(gateway);
    }

    @AfterAll
    static void stop() throws Exception {
        Collections.reverse(STARTED);
        for (AutoCloseable c : STARTED) {
            try {
                c.close();
            } catch (Exception ignored) {
                // keep closing the rest
            }
        }
        if (root != null) {
            KeycloakServer.deleteRecursively(root);
        }
        // Keycloak stays up for the other identity tests of this JVM; a shutdown hook stops it.
    }

    /** Replaces each key by its value; fails when a key is not in the file, so the copy cannot drift silently. */
    private static void edit(Path file, Map<String, String> replacements) throws Exception {
        String text = Files.readString(file);
        for (Map.Entry<String, String> r : replacements.entrySet()) {
            if (!text.contains(r.getKey())) {
                throw new IllegalStateException(file + " no longer contains '" + r.getKey() + "'");
            }
            text = text.replace(r.getKey(), r.getValue());
        }
        Files.writeString(file, text);
    }

    // ---- tokens ----

    private static String token(String user) throws Exception {
        return keycloak.passwordToken("gatehouse", user, user + "-password");
    }

    /** erin of ml-leads, signed in with password and TOTP: her token carries amr otp. */
    private static String erin() throws Exception {
        return keycloak.tokenWithErinsOtp("gatehouse").get("access_token").asText();
    }

    // ---- calls ----

    private static HttpResponse<String> send(HttpRequest.Builder request, String token) throws Exception {
        return HTTP.send(request.header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String token, String body, String... headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port("http")
                + path)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return send(request, token);
    }

    private static HttpResponse<String> get(String path, String token) throws Exception {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port("http") + path)), token);
    }

    private static HttpResponse<String> approve(String id, String token, String reason) throws Exception {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.adminPort() + "/admin/approvals/"
                        + id + "/approve")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"reason\":\"" + reason + "\"}")), token);
    }

    private static JsonNode approval(String id, String token) throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + gateway.adminPort() + "/admin/approvals/" + id)), token);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static JsonNode problem(HttpResponse<String> response) throws Exception {
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        return JSON.readTree(response.body());
    }

    private static String embeddings(int inputs) {
        List<String> list = new ArrayList<>();
        for (int i = 0; i < inputs; i++) {
            list.add("\"text " + i + "\"");
        }
        return "{\"model\":\"demo-small\",\"input\":[" + String.join(",", list) + "]}";
    }

    private static List<String> ids(String listing) throws Exception {
        List<String> ids = new ArrayList<>();
        JSON.readTree(listing).path("data").forEach(m -> ids.add(m.path("id").asText()));
        return ids;
    }

    // ---- policy ----

    @Test
    void alicesKeycloakTokenChatsWithDemoSmallAndHerAnswerHasNoUsage() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions", token("alice"), "{\"model\":\"demo-small\","
                + "\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode answer = JSON.readTree(response.body());
        assertThat(answer.path("choices").get(0).path("message").path("content").asText())
                .contains("You said: hello there");
        assertThat(answer.has("usage")).as("usage is hidden from analysts").isFalse();
        assertThat(response.headers().firstValue("Gatehouse-Served-By")).as("the example's plugin step ran")
                .contains("gatehouse-keycloak");
    }

    @Test
    void alicesEmbeddingsRequestWithSixteenInputsIsRefusedNamingTheAnalystsRule() throws Exception {
        HttpResponse<String> response = post("/v1/embeddings", token("alice"), embeddings(16));

        assertThat(response.statusCode()).isEqualTo(403);
        JsonNode problem = problem(response);
        assertThat(problem.path("policy").asText()).isEqualTo("analysts");
        assertThat(problem.path("rule").asText()).isEqualTo("embed-small");
        assertThat(problem.path("reason").asText()).isEqualTo("batch 16 > 8");
        assertThat(problem.path("detail").asText())
                .isEqualTo("policy 'analysts' rule 'embed-small' refuses this request: batch 16 > 8");
    }

    @Test
    void bobOfMlEngineersSendsTheSixteenInputEmbeddingsRequestAliceCannot() throws Exception {
        HttpResponse<String> response = post("/v1/embeddings", token("bob"), embeddings(16));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).path("data")).hasSize(16);
    }

    @Test
    void alicesModelListingShowsOnlyDemoSmallWhereBobsShowsBoth() throws Exception {
        HttpResponse<String> alice = get("/v1/models", token("alice"));
        HttpResponse<String> bob = get("/v1/models", token("bob"));

        assertThat(alice.statusCode()).as(alice.body()).isEqualTo(200);
        assertThat(ids(alice.body())).containsExactly("demo-small");
        assertThat(ids(bob.body())).containsExactly("demo-small", "demo-large");
    }

    @Test
    void aliceIsDeniedAModelAdminRouteByTheDefaultRule() throws Exception {
        HttpResponse<String> response = post("/v1/load_lora_adapter", token("alice"),
                "{\"lora_name\":\"x\",\"lora_path\":\"/tmp/x\"}");

        assertThat(response.statusCode()).isEqualTo(403);
        JsonNode problem = problem(response);
        assertThat(problem.path("policy").asText() + "/" + problem.path("rule").asText())
                .isEqualTo("default/default-deny");
    }

    // ---- approval ----

    @Test
    void bobsBatchJobIsHeldOnlyErinWithOtpMayApproveItAndBobsRetryRuns() throws Exception {
        String bob = token("bob");
        String alice = token("alice");
        String erin = erin();
        String fileId = uploadApprovedByErin(bob, erin);
        String batch = "{\"input_file_id\":\"" + fileId + "\",\"endpoint\":\"/v1/chat/completions\","
                + "\"completion_window\":\"24h\"}";

        HttpResponse<String> byAlice = post("/v1/batches", alice, batch);
        HttpResponse<String> held = post("/v1/batches", bob, batch, "Gatehouse-Reason", "monthly eval");

        assertThat(byAlice.statusCode()).as("analysts may not even ask").isEqualTo(403);
        assertThat(problem(byAlice).path("rule").asText()).isEqualTo("default-deny");
        assertThat(held.statusCode()).as(held.body()).isEqualTo(202);
        String id = held.headers().firstValue("Gatehouse-Approval").orElseThrow();
        assertThat(held.headers().firstValue("Location")).contains("/admin/approvals/" + id);
        JsonNode pending = JSON.readTree(held.body());
        assertThat(pending.path("status").asText()).isEqualTo("pending");
        assertThat(pending.path("approvers").toString()).isEqualTo("[\"ml-leads\"]");
        assertThat(pending.path("summary").asText()).isEqualTo("batch-create, POST /v1/batches on openai");
        JsonNode shown = approval(id, erin);
        assertThat(shown.path("rule").path("policy").asText() + "/" + shown.path("rule").path("rule").asText())
                .isEqualTo("ml-engineers/batch-jobs");
        assertThat(shown.path("requester").path("issuer").asText()).isEqualTo(keycloak.issuer());

        HttpResponse<String> own = approve(id, bob, "I need it");
        HttpResponse<String> byAnalyst = approve(id, alice, "fine by me");
        HttpResponse<String> byCarol = approve(id, token("carol"), "no second factor");
        HttpResponse<String> early = post("/v1/batches", bob, batch, "Gatehouse-Approval", id);

        assertThat(own.statusCode()).isEqualTo(403);
        assertThat(problem(own).path("detail").asText()).isEqualTo("bob asked for approval " + id + " and so cannot"
                + " decide on it; a member of ml-leads must");
        assertThat(byAnalyst.statusCode()).isEqualTo(403);
        assertThat(problem(byAnalyst).path("detail").asText()).isEqualTo("approval " + id + " is decided by members"
                + " of ml-leads; alice is in analysts");
        assertThat(byCarol.statusCode()).as("carol of ml-leads signed in without OTP").isEqualTo(401);
        assertThat(byCarol.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(challenge ->
                assertThat(challenge).contains("error=\"insufficient_user_authentication\""));
        assertThat(early.statusCode()).as("still pending: held again").isEqualTo(202);
        assertThat(approval(id, erin).path("approvals").asInt()).isZero();

        HttpResponse<String> approved = approve(id, erin, "planned monthly eval");
        HttpResponse<String> retry = post("/v1/batches", bob, batch, "Gatehouse-Approval", id);

        assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);
        assertThat(JSON.readTree(approved.body()).path("status").asText()).isEqualTo("approved");
        assertThat(retry.statusCode()).as(retry.body()).isEqualTo(200);
        assertThat(JSON.readTree(retry.body()).path("status").asText()).isEqualTo("completed");
        JsonNode after = approval(id, bob);
        assertThat(after.path("status").asText()).isEqualTo("used");
        assertThat(after.path("votes").get(0).path("username").asText()).isEqualTo("erin");
        assertThat(after.path("votes").get(0).path("reason").asText()).isEqualTo("planned monthly eval");
    }

    /** The batch's input file: an upload is a file-upload, which the same rule holds; erin approves it. */
    private static String uploadApprovedByErin(String bob, String erin) throws Exception {
        String boundary = "gatehouse-it-" + UUID.randomUUID();
        String line = "{\"custom_id\":\"r1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":\"question 1\"}]}}\n";
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--"
                + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"requests.jsonl\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n" + line + line.replace("r1", "r2") + "\r\n--" + boundary
                + "--\r\n";
        String type = "multipart/form-data; boundary=" + boundary;
        HttpRequest.Builder first = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port("http")
                + "/v1/files")).header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> held = send(first, bob);
        assertThat(held.statusCode()).as(held.body()).isEqualTo(202);
        assertThat(JSON.readTree(held.body()).path("summary").asText())
                .isEqualTo("file-upload, POST /v1/files on openai");
        String id = held.headers().firstValue("Gatehouse-Approval").orElseThrow();
        assertThat(approve(id, erin, "input of the eval").statusCode()).isEqualTo(200);
        HttpResponse<String> uploaded = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + gateway.port("http") + "/v1/files")).header("Content-Type", type).header("Gatehouse-Approval", id)
                .POST(HttpRequest.BodyPublishers.ofString(body)), bob);
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
        return JSON.readTree(uploaded.body()).path("id").asText();
    }
}
