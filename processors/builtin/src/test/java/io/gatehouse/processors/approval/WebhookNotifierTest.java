package io.gatehouse.processors.approval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.spi.Secret;
import io.gatehouse.spi.approval.Approval;
import io.gatehouse.testkit.TestClock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Webhooks against a real HTTP receiver on loopback, fed by real approvals in an embedded store. */
class WebhookNotifierTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "hook-secret-1";

    /** One POST as the receiver saw it. */
    private record Received(String event, String signature, String body) {
    }

    @TempDir
    Path temp;

    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private HttpServer receiver;
    private ApprovalStore store;
    private WebhookNotifier notifier;

    @BeforeEach
    void start() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        receiver.createContext("/", exchange -> {
            try (exchange) {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                if (failuresLeft.getAndDecrement() > 0) {
                    exchange.sendResponseHeaders(503, -1);
                    return;
                }
                received.add(new Received(exchange.getRequestHeaders().getFirst("Gatehouse-Event"),
                        exchange.getRequestHeaders().getFirst("Gatehouse-Signature"), body));
                exchange.sendResponseHeaders(204, -1);
            }
        });
        receiver.start();
        store = new ApprovalStore(temp, TestClock.atDefaultStart());
    }

    @AfterEach
    void stop() {
        if (notifier != null) {
            notifier.close();
        }
        store.close();
        receiver.stop(0);
    }

    private String url(String path) {
        return "http://127.0.0.1:" + receiver.getAddress().getPort() + path;
    }

    private void subscribe(WebhookConfig.Format format, Secret secret, int attempts) {
        WebhookConfig hook = new WebhookConfig(Secret.of("env:HOOK_URL", url("/hook")), format, secret,
                Set.of("requested", "approved", "denied"), attempts, Duration.ofMillis(50), Duration.ofSeconds(2));
        notifier = new WebhookNotifier(new ApprovalsSection("https://gatehouse-admin.example", Map.of("ops", hook)),
                store.approvals.stats(), store.approvals.clock());
        store.approvals.listen("webhooks", notifier);
    }

    private Approval hold() throws Exception {
        return store.approvals.hold(new io.gatehouse.spi.approval.ApprovalRequest("openai", "rec-1",
                ApprovalStore.person("alice", "analysts"), "batch-create", "llama-3-8b", 1, "POST", "/v1/batches",
                "d".repeat(64), "batch-create, model llama-3-8b, POST /v1/batches on openai", "monthly eval",
                new io.gatehouse.spi.DecidingRule("approval", "when", "batch-create"), Set.of("ml-leads"), 1, null, 1,
                Duration.ofHours(1), Duration.ofMinutes(15))).get(10, TimeUnit.SECONDS);
    }

    private void awaitReceived(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (received.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(received).hasSizeGreaterThanOrEqualTo(n);
    }

    @Test
    void aJsonNotificationIsSignedWithHmacOverTimestampAndBodyAndCarriesNoRequestBody() throws Exception {
        subscribe(WebhookConfig.Format.JSON, Secret.of("env:HOOK_SECRET", SECRET), 1);

        Approval held = hold();
        awaitReceived(1);

        Received r = received.get(0);
        assertThat(r.event()).isEqualTo("requested");
        String t = r.signature().substring(2, r.signature().indexOf(','));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String expected = java.util.HexFormat.of().formatHex(mac.doFinal((t + "." + r.body())
                .getBytes(StandardCharsets.UTF_8)));
        assertThat(r.signature()).isEqualTo("t=" + t + ",v1=" + expected);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("event").asText()).isEqualTo("requested");
        assertThat(body.path("approval").path("id").asText()).isEqualTo(held.id());
        assertThat(body.path("approval").path("summary").asText())
                .isEqualTo("batch-create, model llama-3-8b, POST /v1/batches on openai");
        assertThat(body.path("approval").path("requester").asText()).isEqualTo("alice");
        assertThat(body.path("approval").path("url").asText())
                .isEqualTo("https://gatehouse-admin.example/admin/approvals/" + held.id());
        assertThat(body.path("approval").path("consoleUrl").asText())
                .isEqualTo("https://gatehouse-admin.example/console/#/approvals/" + held.id());
        assertThat(body.path("approval").has("body")).isFalse();
        assertThat(r.body()).doesNotContain("input_file_id").doesNotContain(held.digest());
    }

    @Test
    void aSlackNotificationIsAnIncomingWebhookTextMessage() throws Exception {
        subscribe(WebhookConfig.Format.SLACK, null, 1);

        Approval held = hold();
        store.approvals.decide(held.id(), ApprovalStore.person("carol", "ml-leads"), true, "planned");
        awaitReceived(2);

        // Deliveries run concurrently: each event is its own POST, so they may arrive in either order.
        assertThat(received).extracting(Received::event).containsExactlyInAnyOrder("requested", "approved");
        Received requested = received.stream().filter(r -> r.event().equals("requested")).findFirst().orElseThrow();
        assertThat(requested.signature()).isNull();
        assertThat(JSON.readTree(requested.body()).path("text").asText()).isEqualTo(":hourglass: alice asks"
                + " for approval of *batch-create, model llama-3-8b, POST /v1/batches on openai* — \"monthly eval\"."
                + " Approvers: ml-leads (1 needed). `./gatehouse approvals approve " + held.id() + " --reason \"...\"`"
                + " <https://gatehouse-admin.example/console/#/approvals/" + held.id() + "|open in the console>");
        Received approved = received.stream().filter(r -> r.event().equals("approved")).findFirst().orElseThrow();
        assertThat(JSON.readTree(approved.body()).path("text").asText()).startsWith(":white_check_mark:"
                + " carol approved " + held.id());
    }

    @Test
    void aFailingReceiverIsRetriedWithBackoffAndTheRetriesAreCounted() throws Exception {
        failuresLeft.set(2);
        subscribe(WebhookConfig.Format.JSON, Secret.of("env:HOOK_SECRET", SECRET), 5);

        hold();
        awaitReceived(1);
        // The receiver has the POST before the notifier has its 200: wait for the count, not the POST.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (store.approvals.stats().notificationsDelivered() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }

        assertThat(store.approvals.stats().notificationsRetried()).isEqualTo(2);
        assertThat(store.approvals.stats().notificationsDelivered()).isEqualTo(1);
        assertThat(store.approvals.stats().notificationsFailed()).isZero();
    }

    @Test
    void aClosedNotifierStopsRetryingAndCountsTheRetryThatCameDueAsFailed() throws Exception {
        failuresLeft.set(100);
        WebhookConfig hook = new WebhookConfig(Secret.of("env:HOOK_URL", url("/hook")), WebhookConfig.Format.JSON,
                Secret.of("env:HOOK_SECRET", SECRET), Set.of("requested"), 5, Duration.ofMillis(500),
                Duration.ofSeconds(2));
        notifier = new WebhookNotifier(new ApprovalsSection(null, Map.of("ops", hook)), store.approvals.stats(),
                store.approvals.clock());
        store.approvals.listen("webhooks", notifier);
        hold();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (store.approvals.stats().notificationsRetried() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }

        notifier.close();

        while (store.approvals.stats().notificationsFailed() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(1200); // past the next backoff: nothing else is tried
        assertThat(store.approvals.stats().notificationsFailed()).isEqualTo(1);
        assertThat(store.approvals.stats().notificationsRetried()).isEqualTo(1);
        assertThat(failuresLeft.get()).as("one attempt reached the receiver").isEqualTo(99);
    }

    @Test
    void aReceiverThatNeverAnswersWellIsCountedAsFailedAfterTheLastAttempt() throws Exception {
        failuresLeft.set(100);
        subscribe(WebhookConfig.Format.JSON, Secret.of("env:HOOK_SECRET", SECRET), 3);

        hold();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (store.approvals.stats().notificationsFailed() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }

        assertThat(store.approvals.stats().notificationsFailed()).isEqualTo(1);
        assertThat(store.approvals.stats().notificationsRetried()).isEqualTo(2);
        assertThat(received).isEmpty();
    }

    @Test
    void theFactorySubscribesTheSectionsWebhooksToTheGatewaysApprovals() throws Exception {
        ApprovalProcessorFactory factory = new ApprovalProcessorFactory();
        WebhookConfig hook = new WebhookConfig(Secret.of("env:HOOK_URL", url("/hook")), WebhookConfig.Format.SLACK,
                null, null, null, null, null);
        factory.configureGateway(new ApprovalsSection(null, Map.of("ops", hook)),
                new io.gatehouse.spi.GatewayContext(temp, store.approvals.clock(), store.services()));

        hold();
        awaitReceived(1);

        assertThat(received.get(0).event()).isEqualTo("requested");
    }
}
