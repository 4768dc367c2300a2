package io.gatehouse.it.console;

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
 * The console with the demo's dev issuer instead of Keycloak (what {@code ./gatehouse demo} shows): its
 * sign-in page lists the demo users; an approval that needs two approvers with a second factor sends an
 * approver without one to sign in again (step-up with {@code acr_values}), shows 1 of 2, and the second
 * approver's vote lets the waiting request through.
 */
class DevConsoleIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Closer STARTED = new Closer();
    private static Path root;
    private static RSAKey key;
    private static DevIssuer issuer;
    private static GatewayRuntime gateway;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Browser.available(), Browser.MISSING);
        root = Files.createTempDirectory("gatehouse-it-dev-console-");
        key = DevKeys.loadOrCreate(root.resolve("issuer"));
        issuer = STARTED.add(DevIssuer.start("127.0.0.1", 0, key, false));
        String modelKey = TestAgent.randomKey();
        SampleModelServer model = STARTED.add(SampleModelServer.start(SampleModelSettings.loopback(modelKey)
                .withTokenDelay(Duration.ZERO)));
        AgentServer agent = STARTED.add(TestAgent.start(root.resolve("agent/agent.yaml"), root.resolve("data"),
                Map.of("demo-model", model.baseUri()), "GATEHOUSE_DEV_CONSOLE_IT_KEY", modelKey));
        Path config = root.resolve("config");
        TempDirs.write(config.resolve("gateway.yaml"), """
                listeners:
                  http: {host: 127.0.0.1, port: 0}
                admin:
                  host: 127.0.0.1
                  port: 0
                  auth: {providers: [dev]}
                  console: {issuer: %s}
                agents:
                  local: {address: 127.0.0.1:%d}
                dataDirectory: %s
                identity:
                  providers:
                    dev: {issuer: %s, audiences: [gatehouse]}
                """.formatted(issuer.issuer(), agent.port(), root.resolve("data"), issuer.issuer()));
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
                      approvalsNeeded: 2
                      requireMfa: {amr: [otp]}
                      maxWait: 90s
                """);
        gateway = STARTED.add(TestConfig.startGateway(config));
    }

    @AfterAll
    static void stop() {
        STARTED.close();
        if (root != null) {
            TempDirs.deleteTreeQuietly(root);
        }
    }

    @Test
    void anApproverWithoutASecondFactorSignsInAgainWithItAndTwoApprovalsLetTheWaitingBatchThrough() throws Exception {
        String bob = DevTokens.issue(key, issuer.issuer(), "gatehouse", "bob", List.of("ml-engineers"),
                Duration.ofMinutes(10), Instant.now());
        URI v1 = URI.create("http://127.0.0.1:" + gateway.port("http") + "/v1");
        String fileId = HeldBatches.upload(URI.create(v1 + "/files"), bob, HeldBatches.ONE_CHAT);
        CompletableFuture<HttpResponse<String>> waiting = HeldBatches.hold(URI.create(v1 + "/batches"), bob, fileId,
                null, 90);

        try (Browser carol = new Browser(root)) {
            carol.open(console("#/approvals"));
            carol.await().until(ExpectedConditions.elementToBeClickable(By.id("signin"))).click();
            carol.await().until(ExpectedConditions.visibilityOfElementLocated(By.id("user-carol")));
            carol.screenshot("dev-sign-in");
            carol.driver().findElement(By.id("user-carol")).click(); // no second factor
            WebElement card = carol.await().until(ExpectedConditions.visibilityOfElementLocated(
                    By.cssSelector(".card.approval")));
            assertThat(card.getText()).contains("0 of 2 approvals").contains("second factor: amr otp");
            card.findElement(By.className("reason")).sendKeys("first of two");
            card.findElement(By.className("approve")).click();
            carol.await().until(d -> !card.findElement(By.className("message")).getText().isBlank());
            assertThat(card.findElement(By.className("message")).getText()).startsWith("approving ")
                    .contains("needs a sign-in with a second factor (amr otp)");
            WebElement stepUp = card.findElement(By.cssSelector(".notice a"));
            carol.screenshot("approvals-step-up");
            stepUp.click();

            carol.await().until(ExpectedConditions.visibilityOfElementLocated(By.id("user-carol")));
            assertThat(carol.driver().getCurrentUrl()).contains("acr_values=2").contains("prompt=login");
            WebElement carolsRow = carol.driver().findElement(By.id("user-carol")).findElement(By.xpath(".."));
            assertThat(carolsRow.findElement(By.name("otp")).isSelected()).isTrue();
            carol.driver().findElement(By.id("user-carol")).click();
            WebElement again = carol.await().until(ExpectedConditions.visibilityOfElementLocated(
                    By.cssSelector(".card.approval")));
            again.findElement(By.className("reason")).sendKeys("first of two");
            again.findElement(By.className("approve")).click();
            carol.await().until(ExpectedConditions.textToBePresentInElement(again, "1 of 2 approvals"));
        }
        assertThat(waiting).isNotDone();

        try (Browser erin = new Browser(root)) {
            erin.open(console("#/approvals"));
            erin.await().until(ExpectedConditions.elementToBeClickable(By.id("signin"))).click();
            WebElement erinsRow = erin.await().until(ExpectedConditions.visibilityOfElementLocated(By.id("user-erin")))
                    .findElement(By.xpath(".."));
            erinsRow.findElement(By.name("otp")).click();
            erin.driver().findElement(By.id("user-erin")).click();
            WebElement card = erin.await().until(ExpectedConditions.visibilityOfElementLocated(
                    By.cssSelector(".card.approval")));
            card.findElement(By.className("reason")).sendKeys("second of two");
            card.findElement(By.className("approve")).click();
            erin.await().until(ExpectedConditions.textToBePresentInElement(card, "2 of 2 approvals"));
            erin.screenshot("approvals-two-of-two");
        }

        HttpResponse<String> answer = waiting.get(60, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode batch = JSON.readTree(answer.body());
        assertThat(batch.path("status").asText()).isEqualTo("completed");
    }

    private static String console(String hash) {
        return "http://127.0.0.1:" + gateway.adminPort() + "/console/" + hash;
    }
}
