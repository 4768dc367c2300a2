package io.gatehouse.it.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.agent.AgentSettings;
import io.gatehouse.agent.DevCertificates;
import io.gatehouse.cli.dev.DevIssuer;
import io.gatehouse.cli.dev.DevKeys;
import io.gatehouse.cli.dev.DevTokens;
import io.gatehouse.config.LoadResult;
import io.gatehouse.config.YamlFiles;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The console's live parts in a real browser (Debian's headless Chromium), with the dev issuer's sign-in page:
 * the approvals queue fed by server-sent events (a held request appears, and one decided elsewhere leaves,
 * without a reload and without polling), the audit page's health (agents connected, listening and dial-out;
 * the config version live, and a new one after a reload), and the break-glass review queue, where a reviewer
 * acknowledges a use. Real gateway, agents (one listening, one dialling the agent tunnel), sample model and
 * store on loopback.
 */
class ConsoleLiveBrowserIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String KEY_VARIABLE = "GATEHOUSE_LIVE_CONSOLE_IT_KEY";
    private static final Closer STARTED = new Closer();
    private static Path root;
    private static Path config;
    private static RSAKey key;
    private static DevIssuer issuer;
    private static GatewayRuntime gateway;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Browser.available(), Browser.MISSING);
        root = Files.createTempDirectory("gatehouse-it-live-console-");
        Path data = root.resolve("data");
        key = DevKeys.loadOrCreate(root.resolve("issuer"));
        issuer = STARTED.add(DevIssuer.start("127.0.0.1", 0, key, false));
        String modelKey = TestAgent.randomKey();
        SampleModelServer model = STARTED.add(SampleModelServer.start(SampleModelSettings.loopback(modelKey)
                .withTokenDelay(Duration.ZERO)));
        AgentServer listening = STARTED.add(TestAgent.start(root.resolve("agent/agent.yaml"), data,
                Map.of("demo-model", model.baseUri()), KEY_VARIABLE, modelKey));
        config = root.resolve("config");
        TempDirs.write(config.resolve("gateway.yaml"), """
                listeners:
                  http: {host: 127.0.0.1, port: 0}
                  guarded: {host: 127.0.0.1, port: 0}
                admin:
                  host: 127.0.0.1
                  port: 0
                  auth: {providers: [dev]}
                  auditors: [auditors]
                  console: {issuer: %s}
                agentTunnel: {host: 127.0.0.1, port: 0}
                agents:
                  local: {address: 127.0.0.1:%d}
                  remote: {identities: [agent-r]}
                breakGlass:
                  groups: [incident-responders]
                  reviewers: [ml-leads]
                  maxWindow: 1h
                dataDirectory: %s
                identity:
                  providers:
                    dev: {issuer: %s, audiences: [gatehouse]}
                """.formatted(issuer.issuer(), listening.port(), data, issuer.issuer()));
        TempDirs.write(config.resolve("endpoints/openai.yaml"), """
                id: openai
                path: /v1
                protocol: openai
                target: {agent: local, service: demo-model}
                pipeline:
                  - recording: {}
                  - auth: {providers: [dev]}
                  - approval:
                      when: {operations: [batch-create]}
                      approvers: [ml-leads]
                      maxWait: 90s
                """);
        TempDirs.write(config.resolve("endpoints/guarded.yaml"), """
                id: guarded
                listener: guarded
                path: /v1
                protocol: openai
                target: {agent: remote, service: demo-model}
                pipeline:
                  - recording: {}
                  - auth: {providers: [dev]}
                  - policy: {}
                """);
        TempDirs.write(config.resolve("policies/responders.yaml"), """
                name: responders
                appliesTo: { groups: [incident-responders] }
                rules:
                  - name: no-model-access
                    effect: deny
                    breakGlass: true
                """);
        gateway = STARTED.add(TestConfig.startGateway(config));
        startDiallingAgent(data, model, modelKey);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (gateway.dialledInAgents("remote") < 1 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(gateway.dialledInAgents("remote")).as("the dialling agent attached").isEqualTo(1);
    }

    /** An agent with no listening port that dials the gateway's tunnel as identity {@code agent-r}. */
    private static void startDiallingAgent(Path data, SampleModelServer model, String modelKey) throws Exception {
        Path[] cert = DevCertificates.issue(data, "agent-r", root.resolve("agent-certs"));
        Path yaml = root.resolve("agents/remote.yaml");
        TempDirs.write(yaml, "dataDirectory: " + root.resolve("agents/remote-data") + "\n"
                + "gateway:\n  address: 127.0.0.1:" + gateway.agentTunnelPort() + "\n  agent: remote\n"
                + "  reconnectMin: 100ms\n  reconnectMax: 2s\n"
                + "  tls:\n    certificate: " + cert[0] + "\n    privateKey: " + cert[1] + "\n    trustedCa: "
                + DevCertificates.locate(data).caCertificate() + "\n"
                + "services:\n  demo-model:\n    url: " + model.baseUri() + "\n    credential:\n      secret: env:"
                + KEY_VARIABLE + "\n");
        LoadResult<AgentSettings> settings = YamlFiles.bind(yaml, AgentSettings.class,
                v -> KEY_VARIABLE.equals(v) ? modelKey : null, Map.of("services", "service"));
        assertThat(settings.isValid()).as(String.join("; ", settings.formattedErrors())).isTrue();
        STARTED.add(AgentServer.start(settings.orThrow()));
    }

    @AfterAll
    static void stop() {
        STARTED.close();
        if (root != null) {
            TempDirs.deleteTreeQuietly(root);
        }
    }

    @Test
    void aHeldRequestAppearsOnTheLiveFeedWithoutPollingAndOneDecidedElsewhereLeaves() throws Exception {
        try (Browser carol = new Browser(root)) {
            signIn(carol, "#/approvals", "carol");
            WebElement status = carol.await().until(ExpectedConditions.visibilityOfElementLocated(
                    By.cssSelector("#approvals-status[data-feed='live']")));
            carol.await().until(ExpectedConditions.textToBePresentInElement(status, "No request is waiting"));

            CompletableFuture<HttpResponse<String>> first = holdABatch("first batch");
            WebElement card = carol.await().until(ExpectedConditions.visibilityOfElementLocated(
                    By.cssSelector(".card.approval")));
            assertThat(card.getText()).contains("batch-create, POST /v1/batches on openai").contains("first batch");
            assertThat(status.getAttribute("data-feed")).as("the page never fell back to polling").isEqualTo("live");
            carol.screenshot("approvals-live");

            card.findElement(By.className("reason")).sendKeys("fine, planned");
            card.findElement(By.className("approve")).click();
            HttpResponse<String> released = first.get(60, TimeUnit.SECONDS);
            assertThat(released.statusCode()).as(released.body()).isEqualTo(200);

            CompletableFuture<HttpResponse<String>> second = holdABatch("second batch");
            WebElement next = carol.await().until(ExpectedConditions.visibilityOfElementLocated(
                    By.xpath("//div[contains(@class,'approval') and contains(.,'second batch')]")));
            String id = next.getAttribute("data-id");
            HttpResponse<String> denied = admin("POST", "/admin/approvals/" + id + "/deny",
                    token("erin", "ml-leads"), "{\"reason\":\"not tonight\"}");
            assertThat(denied.statusCode()).as(denied.body()).isEqualTo(200);

            carol.await().until(ExpectedConditions.invisibilityOfElementLocated(By.id("approval-" + id)));
            assertThat(status.getAttribute("data-feed")).isEqualTo("live");
            assertThat(second.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(403);
        }
    }

    @Test
    void anAuditorSeesTheAgentsConnectedListeningAndDialOutAndTheConfigVersionLiveAfterAReload() throws Exception {
        String before = gateway.applied().version().version();
        try (Browser dave = new Browser(root)) {
            signIn(dave, "#/audit", "dave");

            WebElement local = dave.await().until(ExpectedConditions.visibilityOfElementLocated(
                    By.cssSelector("#agents-table tr.agent-member[data-agent='local'][data-mode='listening']")));
            WebElement remote = dave.driver().findElement(
                    By.cssSelector("#agents-table tr.agent-member[data-agent='remote'][data-mode='dial-out']"));
            assertThat(local.getText()).contains("ok");
            assertThat(remote.getText()).contains("agent-r from 127.0.0.1").contains("serves demo-model").contains("ok");
            assertThat(dave.driver().findElement(By.cssSelector(".agent-count[data-agent='remote']")).getText())
                    .contains("remote: 1 of 1 connected");
            assertThat(dave.driver().findElement(By.id("config-digest")).getText()).isEqualTo(before);
            assertThat(dave.driver().findElement(By.id("config-version")).getText()).contains("gateway start · start");
            dave.screenshot("audit-health");

            Files.writeString(config.resolve("endpoints/openai.yaml"), Files.readString(config.resolve(
                    "endpoints/openai.yaml")).replace("maxWait: 90s", "maxWait: 95s"));
            HttpResponse<String> reload = admin("POST", "/admin/config/reload", token("dave", "auditors"), "");
            assertThat(reload.statusCode()).as(reload.body()).isEqualTo(200);
            String after = gateway.applied().version().version();
            assertThat(after).isNotEqualTo(before);

            dave.driver().findElement(By.id("health-refresh")).click();
            dave.await().until(ExpectedConditions.textToBePresentInElementLocated(By.id("config-digest"), after));
            assertThat(dave.driver().findElement(By.id("config-version")).getText()).contains("dave · admin-api");
        }
    }

    @Test
    void aReviewerAcknowledgesABreakGlassUseInTheConsoleAndTheAuditTrailHasIt() throws Exception {
        String frank = token("frank", "incident-responders");
        HttpResponse<String> opened = admin("POST", "/admin/break-glass/open", frank,
                "{\"reason\":\"INC-7 summariser down\",\"for\":\"30m\"}");
        assertThat(opened.statusCode()).as(opened.body()).isEqualTo(200);
        HttpResponse<String> broken = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + gateway.port("guarded") + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + frank)
                .header("Content-Type", "application/json").header("Gatehouse-Break-Glass", "restoring INC-7")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"demo-small\",\"messages\":[{\"role\":"
                        + "\"user\",\"content\":\"status\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(broken.statusCode()).as(broken.body()).isEqualTo(200);
        String recordId = broken.headers().firstValue("Gatehouse-Request-Id").orElseThrow();

        try (Browser carol = new Browser(root)) {
            signIn(carol, "#/break-glass", "carol");
            WebElement use = carol.await().until(ExpectedConditions.visibilityOfElementLocated(
                    By.cssSelector(".card.break-glass-use")));
            assertThat(use.getText()).contains("frank passed responders / no-model-access").contains("on guarded")
                    .contains("restoring INC-7").contains(recordId).contains("waiting for review");
            carol.screenshot("break-glass-review");
            use.findElement(By.className("reason")).sendKeys("checked the INC-7 timeline");
            use.findElement(By.className("acknowledge")).click();
            carol.await().until(ExpectedConditions.textToBePresentInElement(use, "Acknowledged by you"));
            assertThat(use.getText()).contains("Reviewed by").contains("carol").contains("checked the INC-7 timeline");
        }

        JsonNode all = JSON.readTree(admin("GET", "/admin/break-glass/uses?status=all", token("dave", "auditors"),
                null).body());
        JsonNode mine = all.path("uses").get(0);
        assertThat(mine.path("recordId").asText()).isEqualTo(recordId);
        assertThat(mine.path("acknowledged").asBoolean()).isTrue();
        assertThat(mine.path("reviewer").asText()).isEqualTo("carol");
        assertThat(mine.path("review").asText()).isEqualTo("checked the INC-7 timeline");
    }

    // ---- helpers ----

    private static void signIn(Browser browser, String hash, String user) {
        browser.open(console(hash));
        browser.await().until(ExpectedConditions.elementToBeClickable(By.id("signin"))).click();
        browser.await().until(ExpectedConditions.elementToBeClickable(By.id("user-" + user))).click();
        browser.await().until(ExpectedConditions.textToBePresentInElementLocated(By.id("who"), user));
    }

    private static String token(String user, String... groups) throws Exception {
        return DevTokens.issue(key, issuer.issuer(), "gatehouse", user, List.of(groups), Duration.ofMinutes(10),
                Instant.now());
    }

    private static CompletableFuture<HttpResponse<String>> holdABatch(String reason) throws Exception {
        String bob = token("bob", "ml-engineers");
        String fileId = HeldBatches.upload(uri("/v1/files"), bob, HeldBatches.ONE_CHAT);
        return HeldBatches.hold(uri("/v1/batches"), bob, fileId, reason, 90);
    }

    private static HttpResponse<String> admin(String method, String path, String token, String body)
            throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.adminPort() + path))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String console(String hash) {
        return "http://127.0.0.1:" + gateway.adminPort() + "/console/" + hash;
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + gateway.port("http") + path);
    }
}
