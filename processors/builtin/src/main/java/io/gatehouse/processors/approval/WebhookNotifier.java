package io.gatehouse.processors.approval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.spi.approval.Approval;
import io.gatehouse.spi.approval.ApprovalEvent;
import io.gatehouse.spi.breakglass.BreakGlassUse;
import io.gatehouse.spi.approval.ApprovalListener;
import io.gatehouse.spi.approval.NotificationStats;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts approval events to the configured webhooks: asynchronously, retried with exponential
 * backoff on network errors, 408, 429 and 5xx, counted in the approvals' stats (delivered, retried,
 * failed). A notification names the approval and its people, never the request body.
 */
final class WebhookNotifier implements ApprovalListener, AutoCloseable {

    static final String SIGNATURE_HEADER = "Gatehouse-Signature";
    private static final Logger LOG = LoggerFactory.getLogger(WebhookNotifier.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    private final ApprovalsSection section;
    private final NotificationStats stats;
    private final Clock clock;
    /** Made on the first notification: a load (or {@code config validate}) that sends none starts no thread. */
    private volatile HttpClient http;
    private volatile boolean closed;

    WebhookNotifier(ApprovalsSection section, NotificationStats stats, Clock clock) {
        this.section = section;
        this.stats = stats;
        this.clock = clock;
    }

    @Override
    public void onEvent(ApprovalEvent event) {
        for (Map.Entry<String, WebhookConfig> hook : section.webhooks().entrySet()) {
            if (hook.getValue().events().contains(event.kind().wireName())) {
                String body = hook.getValue().format() == WebhookConfig.Format.SLACK ? slack(event) : json(event);
                deliver(hook.getKey(), hook.getValue(), event.kind().wireName(), UUID.randomUUID().toString(), body,
                        1);
            }
        }
    }

    /** A break-glass use: announced at once to the webhooks that take {@code break-glass}. */
    void onBreakGlass(BreakGlassUse use) {
        for (Map.Entry<String, WebhookConfig> hook : section.webhooks().entrySet()) {
            if (hook.getValue().events().contains(WebhookConfig.BREAK_GLASS)) {
                String text = ":rotating_light: " + use.user().username() + " broke glass past "
                        + use.bypassed().policy() + "/" + use.bypassed().rule() + " on " + use.endpointId() + " (record "
                        + use.recordId() + "): \"" + use.justification() + "\". Review: `./gatehouse break-glass ack "
                        + use.id() + " --reason \"...\"`";
                ObjectNode root = JSON.createObjectNode();
                if (hook.getValue().format() == WebhookConfig.Format.SLACK) {
                    root.put("text", text);
                } else {
                    root.put("event", WebhookConfig.BREAK_GLASS).put("time", use.at().toString());
                    root.putObject("use").put("id", use.id()).put("window", use.windowId())
                            .put("user", use.user().username()).put("recordId", use.recordId())
                            .put("endpoint", use.endpointId()).put("policy", use.bypassed().policy())
                            .put("rule", use.bypassed().rule()).put("justification", use.justification())
                            .put("location", "/admin/break-glass/uses");
                }
                deliver(hook.getKey(), hook.getValue(), WebhookConfig.BREAK_GLASS, UUID.randomUUID().toString(),
                        root.toString(), 1);
            }
        }
    }

    private void deliver(String name, WebhookConfig hook, String kind, String delivery, String body, int attempt) {
        long now = clock.instant().getEpochSecond();
        HttpRequest.Builder request = HttpRequest.newBuilder(hook.uri()).timeout(hook.timeout())
                .header("Content-Type", "application/json").header("User-Agent", "gatehouse-approvals")
                .header("Gatehouse-Event", kind).header("Gatehouse-Delivery", delivery)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (hook.secret() != null) {
            request.header(SIGNATURE_HEADER, signature(hook.secret().reveal(), now, body));
        }
        client().sendAsync(request.build(), HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
            int status = response == null ? 0 : response.statusCode();
            if (error == null && status / 100 == 2) {
                stats.notificationDelivered();
                return;
            }
            String why = error != null ? error.getClass().getSimpleName() + ": " + error.getMessage() : "HTTP " + status;
            boolean retriable = error != null || status == 408 || status == 429 || status >= 500;
            if (!retriable || attempt >= hook.maxAttempts()) {
                stats.notificationFailed();
                LOG.warn("webhook '{}' did not take the {} notification {} after {} attempt(s): {}", name, kind,
                        delivery, attempt, why);
                return;
            }
            stats.notificationRetried();
            long delay = Math.min(MAX_BACKOFF.toMillis(), hook.initialBackoff().toMillis() << Math.min(20, attempt - 1));
            LOG.info("webhook '{}' refused the {} notification {} ({}); retry {} in {} ms", name, kind, delivery, why,
                    attempt + 1, delay);
            // The JDK's shared delay scheduler: this notifier keeps no thread of its own.
            CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS).execute(() -> {
                if (closed) {
                    stats.notificationFailed();
                } else {
                    deliver(name, hook, kind, delivery, body, attempt + 1);
                }
            });
        });
    }

    /** {@code t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">}, as receivers verify it. */
    static String signature(String key, long unixSeconds, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] sig = mac.doFinal((unixSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
            return "t=" + unixSeconds + ",v1=" + HexFormat.of().formatHex(sig);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("every Java runtime provides HmacSHA256", e);
        }
    }

    String json(ApprovalEvent event) {
        Approval a = event.approval();
        ObjectNode root = JSON.createObjectNode();
        root.put("event", event.kind().wireName()).put("time", event.at().toString());
        ObjectNode approval = root.putObject("approval");
        approval.put("id", a.id()).put("status", a.status().wireName()).put("summary", a.summary())
                .put("endpoint", a.endpointId()).put("operation", a.operationKind()).put("model", a.model())
                .put("batch", a.batch()).put("requester", a.requester().username()).put("reason", a.reason())
                .put("approvalsNeeded", a.approvalsNeeded()).put("approvals", a.approvals())
                .put("expiresAt", a.expiry().toString()).put("location", "/admin/approvals/" + a.id());
        ArrayNode groups = approval.putArray("approverGroups");
        new TreeSet<>(a.approverGroups()).forEach(groups::add);
        if (section.adminUrl() != null) {
            approval.put("url", section.adminUrl() + "/admin/approvals/" + a.id());
            // the web console on the same admin port opens this approval (docs/console.md)
            approval.put("consoleUrl", section.adminUrl() + "/console/#/approvals/" + a.id());
        }
        if (event.actor() != null) {
            root.put("actor", event.actor().username());
        } else {
            root.putNull("actor");
        }
        root.put("decisionReason", event.reason());
        return root.toString();
    }

    String slack(ApprovalEvent event) {
        Approval a = event.approval();
        String who = event.actor() == null ? "the gateway" : event.actor().username();
        String text = switch (event.kind()) {
            case REQUESTED -> ":hourglass: " + a.requester().username() + " asks for approval of *" + a.summary()
                    + "*" + (a.reason() == null ? "" : " — \"" + a.reason() + "\"") + ". Approvers: "
                    + String.join(", ", new TreeSet<>(a.approverGroups())) + " (" + a.approvalsNeeded()
                    + " needed). `./gatehouse approvals approve " + a.id() + " --reason \"...\"`";
            case VOTED -> ":ballot_box_with_check: " + who + " approved " + a.id() + " (" + a.approvals() + " of "
                    + a.approvalsNeeded() + ")";
            case APPROVED -> ":white_check_mark: " + who + " approved " + a.id() + " (" + a.summary() + ") for "
                    + a.requester().username() + (event.reason() == null ? "" : ": \"" + event.reason() + "\"");
            case DENIED -> ":no_entry: " + who + " denied " + a.id() + " (" + a.summary() + ") for "
                    + a.requester().username() + (event.reason() == null ? "" : ": \"" + event.reason() + "\"");
            case EXPIRED -> ":alarm_clock: approval " + a.id() + " (" + a.summary() + ") expired";
            case CANCELLED -> ":wastebasket: " + who + " cancelled " + a.id() + " (" + a.summary() + ")";
            case USED -> ":arrow_forward: " + a.requester().username() + " used approval " + a.id() + " ("
                    + a.summary() + ")";
        };
        if (section.adminUrl() != null) {
            text += " <" + section.adminUrl() + "/console/#/approvals/" + a.id() + "|open in the console>";
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("text", text);
        return root.toString();
    }

    private HttpClient client() {
        HttpClient c = http;
        if (c == null) {
            synchronized (this) {
                c = http;
                if (c == null) {
                    c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                    http = c;
                }
            }
        }
        return c;
    }

    /** Stops retrying: a retry that comes due afterwards is counted as failed. */
    @Override
    public void close() {
        closed = true;
    }
}
