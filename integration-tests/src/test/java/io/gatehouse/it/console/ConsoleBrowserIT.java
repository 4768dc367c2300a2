package io.gatehouse.it.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.gateway.route.GatewayRuntime;
import io.gatehouse.it.identity.KeycloakServer;
import io.gatehouse.it.support.Closer;
import io.gatehouse.it.support.TempDirs;
import io.gatehouse.it.support.TestAgent;
import io.gatehouse.it.support.TestConfig;
import io.gatehouse.samplemodel.SampleModelServer;
import io.gatehouse.samplemodel.SampleModelSettings;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser: Debian's headless Chromium driven by chromedriver (Selenium), a real
 * gateway in this JVM (recording, auth, approval of batch jobs for ml-leads) in front of the sample
 * model, and people signing in at the shared real Keycloak with the sample realm's public
 * {@code gatehouse-console} client. Screenshots of each page go to {@code target/console-screenshots}.
 * Skipped, saying why, when chromium or chromedriver is missing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY_VARIABLE = "GATEHOUSE_CONSOLE_IT_MODEL_KEY";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static KeycloakServer keycloak;
    private static Path root;
    private static final Closer STARTED = new Closer();
    private static GatewayRuntime gateway;
    private static String streamedRecordId;

    private ChromeDriver browser;

    @BeforeAll
    static void start() throws Exception {
        Path chromium = onPath("chromium");
        Path chromedriver = onPath("chromedriver");
        Assumptions.assumeTrue(chromium != null && chromedriver != null, "the console browser tests need Debian's"
                + " chromium and chromium-driver (apt-get install -y chromium chromium-driver; .ci/run installs them)");
        keycloak = KeycloakServer.shared();
        root = Files.createTempDirectory("gatehouse-it-console-");
        String key = TestAgent.randomKey();
        SampleModelServer model = STARTED.add(SampleModelServer.start(SampleModelSettings.loopback(key)
                .withTokenDelay(Duration.ofMillis(40))));
        AgentServer agent = STARTED.add(TestAgent.start(root.resolve("agent/agent.yaml"), root.resolve("data"),
                Map.of("demo-model", model.baseUri()), KEY_VARIABLE, key));
        Path config = root.resolve("config");
        TempDirs.write(config.resolve("gateway.yaml"), """
                listeners:
                  http: {host: 127.0.0.1, port: 0}
                  mfa: {host: 127.0.0.1, port: 0}
                admin:
                  host: 127.0.0.1
                  port: 0
                  auth: {providers: [keycloak]}
                  auditors: [auditors]
                  console:
                    issuer: %s
                    approvers: [ml-leads]
                agents:
                  local: {address: 127.0.0.1:%d}
                dataDirectory: %s
                identity:
                  providers:
                    keycloak: {issuer: %s, audiences: [gatehouse]}
                """.formatted(keycloak.issuer(), agent.port(), root.resolve("data"), keycloak.issuer()));
        TempDirs.write(config.resolve("endpoints/openai.yaml"), """
                id: openai
                path: /v1
                protocol: openai
                target: {agent: local, service: demo-model}
                pipeline:
                  - recording: {masking: {}}
                  - auth: {providers: [keycloak]}
                  - approval:
                      when: {operations: [batch-create]}
                      approvers: [ml-leads]
                      maxWait: 90s
                """);
        TempDirs.write(config.resolve("endpoints/mfa.yaml"), """
                id: mfa
                listener: mfa
                path: /v1
                protocol: openai
                target: {agent: local, service: demo-model}
                pipeline:
                  - recording: {}
                  - auth: {providers: [keycloak]}
                  - approval:
                      when: {operations: [batch-create]}
                      approvers: [ml-leads]
                      requireMfa: {amr: [otp]}
                      maxWait: 120s
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

    @BeforeEach
    void openBrowser() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(onPath("chromium").toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000", "--user-data-dir=" + root.resolve("chrome-" + UUID.randomUUID()));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(onPath("chromedriver").toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    @Order(1)
    void anMlLeadSeesAHeldBatchJobAppearApprovesItWithAReasonAndTheWaitingCallCompletes() throws Exception {
        signIn("carol", "carol-password");
        await().until(ExpectedConditions.textToBePresentInElementLocated(By.id("approvals-status"),
                "No request is waiting"));
        screenshot("approvals-empty");

        String bob = keycloak.passwordToken("gatehouse", "bob", "bob-password");
        String fileId = upload(bob, "{\"custom_id\":\"r1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                + "\"body\":{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":\"write to"
                + " jane.doe@example.com\"}]}}\n");
        CompletableFuture<HttpResponse<String>> waiting = HeldBatches.hold(uri("/v1/batches"), bob, fileId,
                "nightly eval", 90);

        WebElement card = await().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".card.approval")));
        assertThat(waiting).isNotDone();
        assertThat(card.getText()).contains("batch-create, POST /v1/batches on openai").contains("bob")
                .contains("nightly eval").contains("0 of 1 approvals").contains("ml-leads");
        String id = card.getAttribute("data-id");
        card.findElement(By.tagName("summary")).click();
        await().until(d -> !card.findElement(By.className("held-body")).getText().startsWith("loading"));
        assertThat(card.findElement(By.className("held-body")).getText()).contains("input_file_id").contains(fileId);
        screenshot("approvals-held");

        card.findElement(By.className("reason")).sendKeys("planned nightly eval, checked the input file");
        card.findElement(By.className("approve")).click();

        HttpResponse<String> answer = waiting.get(60, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(JSON.readTree(answer.body()).path("status").asText()).isEqualTo("completed");
        await().until(ExpectedConditions.textToBePresentInElement(card, "Approved by you"));
        screenshot("approvals-approved");
        JsonNode approval = adminGet("/admin/approvals/" + id, keycloak.passwordToken("gatehouse", "dave",
                "dave-password"));
        assertThat(approval.path("votes").get(0).path("username").asText()).isEqualTo("carol");
        assertThat(approval.path("votes").get(0).path("decision").asText()).isEqualTo("approve");
        assertThat(approval.path("votes").get(0).path("reason").asText())
                .isEqualTo("planned nightly eval, checked the input file");
    }

    @Test
    @Order(2)
    void anAnalystSeesNoApprovalsAndTheApiBehindTheConsoleRefusesHer() throws Exception {
        signIn("alice", "alice-password");

        WebElement none = await().until(ExpectedConditions.visibilityOfElementLocated(By.id("no-rights")));
        assertThat(none.getText()).contains("You are signed in as alice (analysts)");
        assertThat(browser.findElement(By.id("nav-approvals")).isDisplayed()).isFalse();
        screenshot("analyst");
        HttpResponse<String> approvals = consoleCall("GET", "/console/api/approvals?status=pending", null, null);
        HttpResponse<String> sessions = consoleCall("GET", "/console/api/sessions", null, null);

        assertThat(approvals.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(approvals.body()).path("detail").asText())
                .isEqualTo("approvals are for members of ml-leads; alice is in analysts");
        assertThat(sessions.statusCode()).isEqualTo(403);
        assertThat(consoleCall("GET", "/console/api/approvals/..%2F..%2Fsessions", null, null).statusCode())
                .isEqualTo(400);
    }

    @Test
    @Order(3)
    void aStateChangeWithoutTheSessionsCsrfTokenIsRefused() throws Exception {
        signIn("carol", "carol-password");
        await().until(ExpectedConditions.visibilityOfElementLocated(By.id("approvals-status")));

        HttpResponse<String> noToken = consoleCall("POST", "/console/api/approvals/anything/approve", null,
                "{\"reason\":\"forged\"}");
        HttpResponse<String> wrongToken = consoleCall("POST", "/console/api/approvals/anything/approve", "guessed",
                "{\"reason\":\"forged\"}");
        HttpResponse<String> logout = consoleCall("POST", "/console/logout", null, null);

        assertThat(noToken.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(noToken.body()).path("title").asText()).isEqualTo("CSRF token missing");
        assertThat(wrongToken.statusCode()).isEqualTo(403);
        assertThat(logout.statusCode()).isEqualTo(403);
        assertThat(noToken.headers().firstValue("Content-Security-Policy").orElseThrow())
                .contains("script-src 'self'").contains("frame-ancestors 'none'").doesNotContain("unsafe-inline");
        assertThat(noToken.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    }

    @Test
    @Order(4)
    void anAuditorFiltersSessionsOpensTheStreamedOneAndReplaysItsAnswer() throws Exception {
        String bob = keycloak.passwordToken("gatehouse", "bob", "bob-password");
        HttpResponse<String> streamed = HTTP.send(HttpRequest.newBuilder(uri("/v1/chat/completions"))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + bob)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"demo-small\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
                                + "\"replay these six words please\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(streamed.statusCode()).isEqualTo(200);
        streamedRecordId = streamed.headers().firstValue("Gatehouse-Request-Id").orElseThrow();

        signIn("dave", "dave-password");
        await().until(ExpectedConditions.visibilityOfElementLocated(By.id("session-filters")));
        WebElement form = browser.findElement(By.id("session-filters"));
        form.findElement(By.name("user")).sendKeys("bob");
        new Select(form.findElement(By.name("decision"))).selectByValue("allowed");
        form.findElement(By.name("model")).sendKeys("demo-small");
        form.findElement(By.cssSelector("button[type=submit]")).click();
        await().until(ExpectedConditions.urlContains("user=bob"));
        WebElement row = await().until(ExpectedConditions.elementToBeClickable(
                By.cssSelector("tr.row[data-id='" + streamedRecordId + "']")));
        assertThat(browser.findElements(By.cssSelector("tr.row"))).allSatisfy(r -> assertThat(r.getText())
                .contains("bob").contains("allowed"));
        screenshot("sessions");
        row.click();

        await().until(ExpectedConditions.visibilityOfElementLocated(By.id("replay-play")));
        assertThat(browser.findElement(By.id("request-body")).getText()).contains("replay these six words please");
        new Select(browser.findElement(By.id("replay-speed"))).selectByValue("2");
        browser.findElement(By.id("replay-play")).click();
        await().until(ExpectedConditions.attributeToBe(By.id("replay-output"), "data-done", "true"));
        assertThat(browser.findElement(By.id("replay-output")).getText())
                .startsWith("You said: replay these six words please");
        assertThat(browser.findElement(By.id("replay-info")).getText()).startsWith("replayed ")
                .contains(" chunk(s) over ");
        screenshot("session-replay");

        browser.get(console("#/audit"));
        await().until(ExpectedConditions.textToBePresentInElementLocated(By.id("chains"), "every chain verifies"));
        await().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#plots svg.plot")));
        screenshot("audit");
    }

    @Test
    @Order(5)
    void signingOutEndsTheKeycloakSessionSoTheNextSignInAsksForThePasswordAgain() throws Exception {
        signIn("dave", "dave-password");
        await().until(ExpectedConditions.visibilityOfElementLocated(By.id("logout")));

        browser.findElement(By.id("logout")).click();
        await().until(ExpectedConditions.visibilityOfElementLocated(By.id("signin")));
        browser.findElement(By.id("signin")).click();

        await().until(ExpectedConditions.visibilityOfElementLocated(By.id("username")));
        assertThat(browser.getCurrentUrl()).startsWith(keycloak.issuer());
    }

    @Test
    @Order(6)
    void anApprovalNeedingASecondFactorSendsCarolBackToKeycloakWithAcrValuesAndErinsOtpSignInDecidesIt()
            throws Exception {
        String bob = keycloak.passwordToken("gatehouse", "bob", "bob-password");
        String fileId = HeldBatches.upload(mfa("/v1/files"), bob, HeldBatches.ONE_CHAT);
        CompletableFuture<HttpResponse<String>> waiting = HeldBatches.hold(mfa("/v1/batches"), bob, fileId,
                "needs a second factor", 120);

        signIn("carol", "carol-password");
        By mfaCard = By.xpath("//div[contains(@class,'approval') and contains(.,'needs a second factor')]");
        WebElement card = await().until(ExpectedConditions.visibilityOfElementLocated(mfaCard));
        assertThat(card.getText()).contains("on mfa").contains("second factor: amr otp");
        card.findElement(By.className("reason")).sendKeys("looks fine");
        card.findElement(By.className("approve")).click();
        await().until(d -> !card.findElement(By.className("message")).getText().isBlank());
        assertThat(card.findElement(By.className("message")).getText())
                .contains("needs a sign-in with a second factor (amr otp)");
        screenshot("keycloak-step-up-asked");
        card.findElement(By.cssSelector(".notice a")).click();

        // Keycloak asks again (prompt=login) although carol's Keycloak session is still there, told acr_values=2
        await().until(ExpectedConditions.visibilityOfElementLocated(By.id("password")));
        assertThat(browser.getCurrentUrl()).startsWith(keycloak.issuer()).contains("acr_values=2")
                .contains("prompt=login");
        WebElement username = browser.findElements(By.id("username")).stream().filter(WebElement::isDisplayed)
                .findFirst().orElse(null);
        if (username != null && username.getAttribute("value").isEmpty()) {
            username.sendKeys("carol");
        }
        browser.findElement(By.id("password")).sendKeys("carol-password");
        browser.findElement(By.id("kc-login")).click();
        WebElement again = await().until(ExpectedConditions.visibilityOfElementLocated(mfaCard));
        again.findElement(By.className("reason")).sendKeys("looks fine");
        again.findElement(By.className("approve")).click();
        await().until(d -> !again.findElement(By.className("message")).getText().isBlank());
        // carol has no OTP credential in the realm: a fresh sign-in still shows amr [pwd], and her vote is refused
        assertThat(again.findElement(By.className("message")).getText())
                .contains("needs a sign-in with a second factor (amr otp)");
        assertThat(waiting).isNotDone();
        browser.findElement(By.id("logout")).click();
        await().until(ExpectedConditions.visibilityOfElementLocated(By.id("signin")));

        // erin is enrolled in OTP: Keycloak asks her for a code after her password, and her token says amr otp
        browser.findElement(By.id("signin")).click();
        await().until(ExpectedConditions.visibilityOfElementLocated(By.id("username"))).sendKeys("erin");
        browser.findElement(By.id("password")).sendKeys("erin-password");
        browser.findElement(By.id("kc-login")).click();
        // One run here did not get past this step (cause not captured then); when Keycloak shows the OTP form
        // again (a refused code), the next 30 s step's code is tried once, and a failure says where it stopped
        for (int attempt = 1; ; attempt++) {
            WebElement otp = await().until(ExpectedConditions.visibilityOfElementLocated(By.id("otp")));
            otp.clear();
            otp.sendKeys(io.gatehouse.it.identity.Totp.now(KeycloakServer.ERIN_TOTP_SECRET));
            screenshot("keycloak-otp");
            browser.findElement(By.id("kc-login")).click();
            try {
                await().until(ExpectedConditions.textToBePresentInElementLocated(By.id("who"), "erin"));
                break;
            } catch (org.openqa.selenium.TimeoutException e) {
                screenshot("keycloak-otp-failed-" + attempt);
                if (attempt == 2 || browser.findElements(By.id("otp")).isEmpty()) {
                    throw new AssertionError("erin's sign-in with OTP did not reach the console: at "
                            + browser.getCurrentUrl() + ": " + browser.findElement(By.tagName("body")).getText(), e);
                }
                Thread.sleep(30_000 - System.currentTimeMillis() % 30_000 + 500);
            }
        }
        WebElement erins = await().until(ExpectedConditions.visibilityOfElementLocated(mfaCard));
        String erinsId = erins.getAttribute("data-id");
        erins.findElement(By.className("reason")).sendKeys("second factor shown");
        erins.findElement(By.className("approve")).click();

        HttpResponse<String> answer = waiting.get(90, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        try {
            await().until(ExpectedConditions.textToBePresentInElement(erins, "Approved by you"));
        } catch (org.openqa.selenium.TimeoutException drawnAnew) {
            // Once in CI the approvals view was drawn anew while the decision landed (the card element went
            // stale, and the new view lists only pending requests): the approval's own page shows her vote
            browser.get(console("#/approvals/" + erinsId));
            await().until(ExpectedConditions.textToBePresentInElementLocated(By.id("approval-" + erinsId),
                    "erin approve: \"second factor shown\""));
        }
        screenshot("keycloak-step-up-approved");
    }

    // ---- helpers ----

    private void signIn(String user, String password) {
        browser.get(console("#/"));
        await().until(ExpectedConditions.elementToBeClickable(By.id("signin"))).click();
        await().until(ExpectedConditions.visibilityOfElementLocated(By.id("username"))).sendKeys(user);
        browser.findElement(By.id("password")).sendKeys(password);
        browser.findElement(By.id("kc-login")).click();
        await().until(ExpectedConditions.textToBePresentInElementLocated(By.id("who"), user));
    }

    /** A call with this browser's console cookie, from outside the page (as a forged request would be). */
    private HttpResponse<String> consoleCall(String method, String path, String csrf, String body) throws Exception {
        Cookie cookie = browser.manage().getCookieNamed("gatehouse_console");
        assertThat(cookie).as("the console's session cookie").isNotNull();
        assertThat(cookie.isHttpOnly()).isTrue();
        assertThat(cookie.getSameSite()).isEqualTo("Lax");
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(adminBase() + path)).timeout(Duration.ofSeconds(30))
                .header("Cookie", cookie.getName() + "=" + cookie.getValue());
        if (csrf != null) {
            b.header("X-CSRF-Token", csrf);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode adminGet(String path, String token) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(adminBase() + path))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static String upload(String token, String jsonl) throws Exception {
        return HeldBatches.upload(uri("/v1/files"), token, jsonl);
    }

    private WebDriverWait await() {
        return new WebDriverWait(browser, Duration.ofSeconds(30));
    }

    private void screenshot(String name) throws Exception {
        Path dir = Files.createDirectories(Path.of(System.getProperty("gatehouse.screenshots.dir",
                "target/console-screenshots")));
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), dir.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    private static String adminBase() {
        return "http://127.0.0.1:" + gateway.adminPort();
    }

    private static String console(String hash) {
        return adminBase() + "/console/" + hash;
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + gateway.port("http") + path);
    }

    /** The listener of the endpoint whose approvals need a second factor. */
    private static URI mfa(String path) {
        return URI.create("http://127.0.0.1:" + gateway.port("mfa") + path);
    }

    private static Path onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
