package io.gatehouse.it.observability;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker/observability: every metric the Grafana dashboard and the Prometheus alert rules query is exported at
 * {@code /metrics} by a running gateway (recording, limits, auth, policy, approval, masking) after an allowed, a
 * masked, a denied and a held request; the auth step's key age (through the SPI's metrics hook) has its value.
 */
class DashboardMetricsIT {

    private static final Path OBSERVABILITY = Path.of("../docker/observability");
    private static final Pattern METRIC = Pattern.compile("\\b(gatehouse_[a-z0-9_]+)\\b");
    private static final String KEY_VARIABLE = "GATEHOUSE_IT_MODEL_KEY";
    private static final String AUDIENCE = "gatehouse";

    @Test
    void everyMetricTheDashboardAndTheAlertsQueryIsExportedByARunningGateway() throws Exception {
        Set<String> queried = new TreeSet<>();
        List<String> expressions = new ArrayList<>();
        JsonNode dashboard = new ObjectMapper().readTree(OBSERVABILITY.resolve("grafana-dashboard.json").toFile());
        dashboard.path("panels").forEach(p -> p.path("targets").forEach(t -> expressions.add(t.path("expr").asText())));
        Object yaml = new org.snakeyaml.engine.v2.api.Load(org.snakeyaml.engine.v2.api.LoadSettings.builder().build())
                .loadFromString(Files.readString(OBSERVABILITY.resolve("prometheus-alerts.yaml")));
        JsonNode rules = new ObjectMapper().valueToTree(yaml);
        rules.path("groups").forEach(g -> g.path("rules").forEach(r -> expressions.add(r.path("expr").asText())));
        assertThat(expressions).hasSizeGreaterThan(10).allSatisfy(e -> assertThat(e).isNotBlank());
        for (String e : expressions) {
            Matcher m = METRIC.matcher(e);
            boolean any = false;
            while (m.find()) {
                queried.add(m.group(1));
                any = true;
            }
            assertThat(any).as("a query on no gatehouse metric: " + e).isTrue();
        }

        String exported = scrapeAfterTraffic();
        Set<String> names = new TreeSet<>();
        exported.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                .forEach(l -> names.add(l.split("[{ ]", 2)[0]));
        assertThat(names).as("metrics the gateway exports").containsAll(queried);
        assertThat(queried).as("the JWKS staleness alert's inputs").contains("gatehouse_jwks_age_seconds",
                "gatehouse_jwks_max_staleness_seconds", "gatehouse_jwks_fetches_total");
        // The dev provider's keys were fetched for the first token, moments before the scrape.
        assertThat(value(exported, "gatehouse_jwks_age_seconds{provider=\"dev\"}")).isBetween(0.0, 120.0);
        assertThat(value(exported, "gatehouse_jwks_max_staleness_seconds{provider=\"dev\"}")).isEqualTo(3600.0);
        assertThat(value(exported, "gatehouse_jwks_fetches_total{provider=\"dev\",result=\"ok\"}")).isEqualTo(1.0);
        assertThat(value(exported, "gatehouse_jwks_fetches_total{provider=\"dev\",result=\"failed\"}")).isZero();
    }

    /** The value of one series in a Prometheus text scrape. */
    private static double value(String scrape, String series) {
        return scrape.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim()))
                .orElseThrow(() -> new AssertionError(series + " is not in the scrape"));
    }

    private static String scrapeAfterTraffic() throws Exception {
        Path root = Files.createTempDirectory("gatehouse-it-dashboard-");
        Path data = root.resolve("data");
        try (Closer started = new Closer()) {
            String key = "sk-it-" + Long.toHexString(System.nanoTime());
            SampleModelServer model = started.add(SampleModelServer.start(SampleModelSettings.loopback(key)
                    .withTokenDelay(Duration.ZERO)));
            AgentServer agent = started.add(TestAgent.start(root.resolve("agent").resolve("agent.yaml"), data,
                    Map.of("demo-model", model.baseUri()), KEY_VARIABLE, key));
            RSAKey devKey = DevKeys.loadOrCreate(data);
            DevIssuer issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));
            Path config = root.resolve("config");
            write(config.resolve("gateway.yaml"), "listeners:\n  http:\n    host: 127.0.0.1\n    port: 0\n"
                    + "admin:\n  host: 127.0.0.1\n  port: 0\nagents:\n  local:\n    address: 127.0.0.1:" + agent.port()
                    + "\ndataDirectory: " + data + "\nidentity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer()
                    + "\n      audiences: [" + AUDIENCE + "]\n");
            write(config.resolve("endpoints").resolve("openai.yaml"), "id: openai\nlistener: http\npath: /v1\n"
                    + "protocol: openai\ntarget:\n  agent: local\n  service: demo-model\npipeline:\n"
                    + "  - recording: {}\n  - limits:\n      requestTimeout: 30s\n  - auth:\n      providers: [dev]\n"
                    + "  - policy: {}\n  - approval:\n      approvers: [ml-leads]\n  - masking: {}\n");
            TestConfig.writeOllamaEndpoint(config, "demo-model");
            TestConfig.copyDemoPolicies(config);
            GatewayRuntime gateway = started.add(TestConfig.startGateway(config));
            String base = "http://127.0.0.1:" + gateway.port("http") + "/v1";
            HttpClient http = HttpClient.newHttpClient();

            String analyst = token(devKey, issuer, "ann", List.of("analysts"));
            HttpResponse<String> allowed = post(http, base + "/chat/completions", analyst,
                    "{\"model\":\"demo-small\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\","
                            + "\"content\":\"write to alice@example.com or call +1 415 555 0100\"}]}");
            assertThat(allowed.statusCode()).as(allowed.body()).isEqualTo(200);
            HttpResponse<String> denied = post(http, base + "/chat/completions",
                    token(devKey, issuer, "aud", List.of("auditors")),
                    "{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(denied.statusCode()).as(denied.body()).isEqualTo(403);
            HttpResponse<String> held = post(http, base + "/batches", token(devKey, issuer, "eve", List.of("ml-engineers")),
                    "{\"input_file_id\":\"file-1\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}");
            assertThat(held.statusCode()).as(held.body()).isEqualTo(202);

            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + gateway.adminPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            return metrics.body();
        } finally {
            TempDirs.deleteTreeQuietly(root);
        }
    }

    private static String token(RSAKey key, DevIssuer issuer, String user, List<String> groups) {
        return DevTokens.issue(key, issuer.issuer(), AUDIENCE, user, groups, Duration.ofHours(1), Instant.now());
    }

    private static HttpResponse<String> post(HttpClient http, String uri, String token, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(uri)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
