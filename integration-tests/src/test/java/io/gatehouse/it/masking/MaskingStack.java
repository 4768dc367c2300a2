package io.gatehouse.it.masking;

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
import java.util.concurrent.TimeUnit;

/**
 * The whole path in this JVM on loopback: sample model ← agent (mutual TLS) ← gateway, with the dev
 * issuer for tokens. Two endpoints share the model, each on a listener of its own at {@code /v1}:
 * listener {@code http} masks answers (callers in group {@code pii-readers} exempt), listener
 * {@code prompted} also masks prompts before the model sees them. Both record every exchange with the
 * recording's own masking ({@code recording.masking}); members of {@code auditors} read the records
 * through the admin API.
 */
final class MaskingStack implements AutoCloseable {

    static final String AUDIENCE = "gatehouse";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY_VARIABLE = "GATEHOUSE_IT_MODEL_KEY";

    private final Path root;
    private final RSAKey devKey;
    private final DevIssuer issuer;
    private final GatewayRuntime gateway;
    private final Closer started;

    private MaskingStack(Path root, RSAKey devKey, DevIssuer issuer, GatewayRuntime gateway, Closer started) {
        this.root = root;
        this.devKey = devKey;
        this.issuer = issuer;
        this.gateway = gateway;
        this.started = started;
    }

    static MaskingStack start() throws Exception {
        Path root = Files.createTempDirectory("gatehouse-it-masking-");
        Path data = root.resolve("data");
        Closer started = new Closer();
        try {
            String key = "sk-it-" + Long.toHexString(System.nanoTime());
            SampleModelServer model = started.add(SampleModelServer.start(SampleModelSettings.loopback(key)
                    .withTokenDelay(Duration.ofMillis(5))));
            AgentServer agent = started.add(TestAgent.start(root.resolve("agent").resolve("agent.yaml"), data,
                    Map.of("demo-model", model.baseUri()), KEY_VARIABLE, key));
            RSAKey devKey = DevKeys.loadOrCreate(data);
            DevIssuer issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));

            Path config = root.resolve("config");
            write(config.resolve("gateway.yaml"), "listeners:\n  http:\n    host: 127.0.0.1\n    port: 0\n  prompted:\n    host: 127.0.0.1\n    port: 0\n"
                    + "admin:\n  host: 127.0.0.1\n  port: 0\n  auth:\n    providers: [dev]\n  auditors: [auditors]\nagents:\n  local:\n    address: 127.0.0.1:" + agent.port()
                    + "\ndataDirectory: " + data + "\nidentity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer()
                    + "\n      audiences: [" + AUDIENCE + "]\n");
            write(config.resolve("endpoints").resolve("openai.yaml"), endpoint("openai", "http",
                    "  - masking:\n      exemptGroups: [pii-readers]\n"));
            write(config.resolve("endpoints").resolve("prompted.yaml"), endpoint("prompted", "prompted",
                    "  - masking:\n      request: true\n"));
            GatewayRuntime gateway = started.add(TestConfig.startGateway(config));
            return new MaskingStack(root, devKey, issuer, gateway, started);
        } catch (Exception | Error e) {
            started.close();
            TempDirs.deleteTreeQuietly(root);
            throw e;
        }
    }

    private static String endpoint(String id, String listener, String masking) {
        return "id: " + id + "\nlistener: " + listener + "\npath: /v1\nprotocol: openai\n"
                + "target:\n  agent: local\n  service: demo-model\n"
                + "pipeline:\n"
                + "  - recording:\n      masking: {}\n"
                + "  - limits:\n      requestTimeout: 30s\n"
                + "  - auth:\n      providers: [dev]\n"
                + masking;
    }

    /** {@code http://127.0.0.1:<port>/v1} of a listener: {@code http} or {@code prompted}. */
    String baseUrl(String listener) {
        return "http://127.0.0.1:" + gateway.port(listener) + "/v1";
    }

    String token(String user, List<String> groups) {
        return DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, user, groups, Duration.ofHours(1), Instant.now());
    }

    /** The stored record of a request, read by an auditor through the admin API once its end is there. */
    JsonNode record(String requestId) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String auditor = token("ada", List.of("auditors"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        JsonNode record;
        do {
            HttpResponse<String> shown = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                            + gateway.adminPort() + "/admin/sessions/" + requestId))
                    .header("Authorization", "Bearer " + auditor).timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (shown.statusCode() != 200) {
                throw new IllegalStateException("the admin API answered " + shown.statusCode() + ": " + shown.body());
            }
            record = JSON.readTree(shown.body());
            if (record.has("endTime")) {
                return record;
            }
            Thread.sleep(50); // an end not yet durable
        } while (System.nanoTime() < deadline);
        return record;
    }

    @Override
    public void close() {
        started.close();
        TempDirs.deleteTreeQuietly(root);
    }
}
