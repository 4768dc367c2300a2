package io.gatehouse.it.approval;

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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Sample model (with files and batches), agent and dev issuer on loopback, and any number of gateway
 * replicas over one store: each replica has its own config, data directory and ports, and runs in
 * this JVM or as a child JVM ({@code gatehouse serve}) that a test may kill. The store is an H2 file
 * of the first replica, or a fresh PostgreSQL database shared by all (dropped at close).
 *
 * <p>Tokens are the dev issuer's, with the groups of the Keycloak sample realm (alice in analysts,
 * bob in ml-engineers, carol in ml-leads, dave in auditors): the approval flow needs nothing of
 * Keycloak beyond its tokens, which the identity tests already cover.
 */
public final class ApprovalStack implements AutoCloseable {

    static final String AUDIENCE = "gatehouse";
    static final String KEY_VARIABLE = "GATEHOUSE_APPROVAL_IT_MODEL_KEY";
    public static final String POSTGRES_ADMIN = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";
    static final ObjectMapper JSON = new ObjectMapper();

    /** One gateway replica. */
    public final class Replica {
        public final String name;
        public final Path config;
        public final Path data;
        public final int port;
        public final int adminPort;
        GatewayRuntime gateway;
        Process child;

        Replica(String name, Path config, Path data, int port, int adminPort) {
            this.name = name;
            this.config = config;
            this.data = data;
            this.port = port;
            this.adminPort = adminPort;
        }

        Replica startInJvm() throws Exception {
            gateway = TestConfig.startGateway(config);
            return this;
        }

        public Replica startChild() throws Exception {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Path log = root.resolve(name + "-gateway.log");
            child = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-cp",
                    System.getProperty("java.class.path"), GatehouseCommand.class.getName(), "serve", "--config",
                    config.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline) {
                if (!child.isAlive()) {
                    throw new IllegalStateException("gateway " + name + " exited with " + child.exitValue() + ":\n"
                            + tail(log));
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
            throw new IllegalStateException("gateway " + name + " was not ready within 90 s:\n" + tail(log));
        }

        public boolean alive() {
            return child != null && child.isAlive();
        }

        /** {@code kill -9}. */
        public void kill() throws InterruptedException {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }

        public void stop() throws InterruptedException {
            if (gateway != null) {
                gateway.close();
                gateway = null;
            }
            if (child != null && child.isAlive()) {
                child.destroy();
                if (!child.waitFor(30, TimeUnit.SECONDS)) {
                    child.destroyForcibly();
                }
            }
        }

        public URI uri(String path) {
            return URI.create("http://127.0.0.1:" + port + path);
        }

        public URI adminUri(String path) {
            return URI.create("http://127.0.0.1:" + adminPort + path);
        }

        String adminBase() {
            return "http://127.0.0.1:" + adminPort;
        }

        String baseUrl() {
            return "http://127.0.0.1:" + port + "/v1";
        }

        /** POSTs JSON to the gateway with a token and extra header pairs. */
        public HttpResponse<String> post(String path, String token, String body, String... headers) throws Exception {
            return http.send(postRequest(path, token, body, headers), HttpResponse.BodyHandlers.ofString());
        }

        public HttpRequest postRequest(String path, String token, String body, String... headers) {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(90))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body));
            for (int i = 0; i < headers.length; i += 2) {
                b.header(headers[i], headers[i + 1]);
            }
            return b.build();
        }

        /** Calls the admin API: GET when {@code body} is null, else POST of the JSON body. */
        public HttpResponse<String> admin(String path, String token, String body) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(adminUri(path)).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + token);
            b = body == null ? b.GET() : b.header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body));
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }

        /** The first approval pending as this replica's admin API lists it (asked as carol); fails after 15 s. */
        public JsonNode awaitPending() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (System.nanoTime() < deadline) {
                JsonNode list = json(admin("/admin/approvals?status=pending", carol(), null).body());
                if (list.path("count").asInt() > 0) {
                    return list.path("approvals").get(0);
                }
                Thread.sleep(50);
            }
            throw new AssertionError("nothing pending as seen from replica " + name);
        }

        /** Uploads a batch input file through the gateway, as multipart like the SDKs; returns its id. */
        String upload(String token, String jsonl) throws Exception {
            String boundary = "gatehouse-it-" + UUID.randomUUID();
            String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--"
                    + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"requests.jsonl\"\r\n"
                    + "Content-Type: application/jsonl\r\n\r\n" + jsonl + "\r\n--" + boundary + "--\r\n";
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/v1/files"))
                    .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("upload failed: " + r.statusCode() + " " + r.body());
            }
            return JSON.readTree(r.body()).path("id").asText();
        }
    }

    public final Path root;
    public final String postgresDatabase;
    final String modelKey;
    private final int agentPort;
    private final RSAKey devKey;
    private final DevIssuer issuer;
    private final Closer started;
    private final List<Replica> replicas = new ArrayList<>();
    public final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ApprovalStack(Path root, String postgresDatabase, String modelKey, int agentPort, RSAKey devKey,
                          DevIssuer issuer, Closer started) {
        this.root = root;
        this.postgresDatabase = postgresDatabase;
        this.modelKey = modelKey;
        this.agentPort = agentPort;
        this.devKey = devKey;
        this.issuer = issuer;
        this.started = started;
    }

    /** Model, agent and issuer; a fresh PostgreSQL database when {@code postgres}, else H2. */
    public static ApprovalStack start(boolean postgres) throws Exception {
        Path root = Files.createTempDirectory("gatehouse-it-approval-");
        Closer started = new Closer();
        String database = null;
        try {
            if (postgres) {
                database = "gatehouse_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
                try (Connection c = DriverManager.getConnection(POSTGRES_ADMIN); Statement s = c.createStatement()) {
                    s.execute("CREATE DATABASE " + database);
                }
                String db = database;
                started.add(() -> {
                    try (Connection c = DriverManager.getConnection(POSTGRES_ADMIN);
                         Statement s = c.createStatement()) {
                        s.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
                    }
                });
            }
            String key = TestAgent.randomKey();
            SampleModelServer model = started.add(SampleModelServer.start(SampleModelSettings.loopback(key)
                    .withTokenDelay(Duration.ZERO)));
            AgentServer agent = started.add(TestAgent.start(root.resolve("agent/agent.yaml"),
                    root.resolve("agent-data"), Map.of("demo-model", model.baseUri()), KEY_VARIABLE, key));
            RSAKey devKey = DevKeys.loadOrCreate(root.resolve("issuer-data"));
            DevIssuer issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));
            return new ApprovalStack(root, database, key, agent.port(), devKey, issuer, started);
        } catch (Exception | Error e) {
            started.close();
            deleteRecursively(root);
            throw e;
        }
    }

    /** Writes the config of a new replica (not started). The endpoint holds every batch-create for ml-leads. */
    /** The pipeline of {@link #replica(String)}: recording, auth, and approval of batch creation by ml-leads. */
    static final String APPROVAL_PIPELINE = "  - recording: {}\n"
            + "  - auth:\n      providers: [dev]\n"
            + "  - approval:\n      when: {operations: [batch-create]}\n      approvers: [ml-leads]\n"
            + "      maxWait: 60s\n";

    Replica replica(String name) throws IOException {
        return replica(name, APPROVAL_PIPELINE);
    }

    /** Writes the config of a new replica (not started) whose endpoint runs {@code pipeline} (YAML list items). */
    public Replica replica(String name, String pipeline) throws IOException {
        return replica(name, pipeline, "");
    }

    /** As {@link #replica(String, String)}, with {@code storeKeys} (indented YAML lines) added under {@code store:}. */
    public Replica replica(String name, String pipeline, String storeKeys) throws IOException {
        Path config = root.resolve(name + "/config");
        Path data = root.resolve(name + "/data");
        int port = freePort();
        int adminPort = freePort();
        String store = postgresDatabase == null
                ? "store:\n  url: jdbc:h2:file:" + root.resolve("shared-h2/store/gatehouse") + "\n"
                : "store:\n  url: jdbc:postgresql://127.0.0.1:5432/" + postgresDatabase + "?user=postgres\n";
        write(config.resolve("gateway.yaml"), "listeners:\n  http:\n    host: 127.0.0.1\n    port: " + port + "\n"
                + "admin:\n  host: 127.0.0.1\n  port: " + adminPort + "\n  auth:\n    providers: [dev]\n"
                + "  auditors: [auditors]\n"
                + "agents:\n  local:\n    address: 127.0.0.1:" + agentPort + "\n"
                + "identity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer() + "\n"
                + "      audiences: [" + AUDIENCE + "]\n"
                + "dataDirectory: " + data + "\n" + store + storeKeys);
        write(config.resolve("endpoints/openai.yaml"), "id: openai\nlistener: http\npath: /v1\nprotocol: openai\n"
                + "target:\n  agent: local\n  service: demo-model\npipeline:\n" + pipeline);
        // The agent's dev certificates (mutual TLS), as an operator would copy them to each gateway.
        Path certs = root.resolve("agent-data").resolve(io.gatehouse.agent.DevCertificates.DIRECTORY);
        try (Stream<Path> files = Files.list(certs)) {
            Files.createDirectories(data.resolve(io.gatehouse.agent.DevCertificates.DIRECTORY));
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, data.resolve(io.gatehouse.agent.DevCertificates.DIRECTORY).resolve(f.getFileName()));
            }
        }
        Replica r = new Replica(name, config, data, port, adminPort);
        replicas.add(r);
        return r;
    }

    public String token(String user, String... groups) {
        return DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, user, List.of(groups), Duration.ofHours(1),
                Instant.now());
    }

    String alice() {
        return token("alice", "analysts");
    }

    String bob() {
        return token("bob", "ml-engineers");
    }

    public String carol() {
        return token("carol", "ml-leads");
    }

    public String dave() {
        return token("dave", "auditors");
    }

    static String lines(int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            s.append("{\"custom_id\":\"r").append(i).append("\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                    + "\"body\":{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":\"question ")
                    .append(i).append("\"}]}}\n");
        }
        return s.toString();
    }

    static String batchBody(String fileId) {
        return "{\"input_file_id\":\"" + fileId + "\",\"endpoint\":\"/v1/chat/completions\","
                + "\"completion_window\":\"24h\"}";
    }

    static JsonNode json(String text) throws IOException {
        return JSON.readTree(text);
    }

    @Override
    public void close() {
        for (Replica r : replicas) {
            try {
                r.stop();
            } catch (Exception ignored) {
                // stopping
            }
        }
        started.close();
        deleteRecursively(root);
    }

    static int freePort() throws IOException {
        return Loopback.freePort();
    }

    static Path write(Path file, String text) throws IOException {
        return TempDirs.write(file, text);
    }

    static String tail(Path log) {
        return Logs.tail(log, 60);
    }

    static void deleteRecursively(Path dir) {
        TempDirs.deleteTreeQuietly(dir);
    }
}
