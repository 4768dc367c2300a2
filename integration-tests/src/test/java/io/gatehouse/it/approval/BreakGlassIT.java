package io.gatehouse.it.approval;

import static io.gatehouse.it.approval.ApprovalStack.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.cli.GatehouseCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Break-glass through the real gateway, store, admin API, CLI and a webhook receiver: erin (auditors and
 * incident-responders) is denied model access by a deny rule marked {@code breakGlass: true}; only after she
 * opens a window, and only with a justification header, does her request reach the sample model; the use is
 * marked in the exchange's record, announced to the webhook at once, and waits in the review queue until
 * carol (a reviewer) acknowledges it; once the window is closed, the rule holds again.
 */
class BreakGlassIT {

    private static ApprovalStack stack;
    private static ApprovalStack.Replica gateway;
    private static HttpServer hooks;
    private static final BlockingQueue<String> HOOKED = new LinkedBlockingQueue<>();

    @BeforeAll
    static void start() throws Exception {
        hooks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hooks.createContext("/hook", exchange -> {
            HOOKED.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        hooks.start();
        stack = ApprovalStack.start(false);
        gateway = stack.replica("break-glass", "  - recording: {}\n  - auth:\n      providers: [dev]\n"
                + "  - policy: {}\n  - approval:\n      approvers: [ml-leads]\n");
        Files.writeString(gateway.config.resolve("hook-url"), "http://127.0.0.1:" + hooks.getAddress().getPort()
                + "/hook");
        Files.writeString(gateway.config.resolve("hook-secret"), "it-hook-secret");
        Files.writeString(gateway.config.resolve("gateway.yaml"), "breakGlass:\n  groups: [incident-responders]\n"
                + "  reviewers: [ml-leads]\n  maxWindow: 1h\napprovals:\n  webhooks:\n"
                + "    ops: { url: file:hook-url, format: json, secret: file:hook-secret }\n", StandardOpenOption.APPEND);
        ApprovalStack.write(gateway.config.resolve("policies/auditors.yaml"), """
                name: auditors
                appliesTo: { groups: [auditors] }
                rules:
                  - name: no-model-access
                    effect: deny
                    breakGlass: true
                """);
        gateway.startInJvm();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
        if (hooks != null) {
            hooks.stop(0);
        }
    }

    private static String cli(String... args) {
        PrintStream original = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrintStream capture = new PrintStream(out, true, StandardCharsets.UTF_8);
            System.setOut(capture);
            System.setErr(capture);
            capture.println("exit=" + GatehouseCommand.commandLine().execute(args));
        } finally {
            System.setOut(original);
            System.setErr(originalErr);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static final String CHAT = "{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":"
            + "\"status of the outage\"}]}";

    @Test
    void aResponderBreaksGlassOnlyInAnOpenWindowWithAJustificationAndEachUseIsRecordedAnnouncedAndReviewed()
            throws Exception {
        String erin = stack.token("erin", "auditors", "incident-responders");
        String why = "restoring the summariser for INC-42";

        HttpResponse<String> noWindow = gateway.post("/v1/chat/completions", erin, CHAT, "Gatehouse-Break-Glass", why);
        assertThat(noWindow.statusCode()).isEqualTo(403);
        assertThat(json(noWindow.body()).path("title").asText()).isEqualTo("No break-glass window");
        String notAResponder = cli("break-glass", "open", "--reason", "curious", "--admin", gateway.adminBase(),
                "--token", stack.bob());
        assertThat(notAResponder).contains("403: Not a break-glass group: bob is not in [incident-responders]").contains("exit=2");
        String tooLong = cli("break-glass", "open", "--reason", "INC-42", "--for", "2h", "--admin",
                gateway.adminBase(), "--token", erin);
        assertThat(tooLong).contains("Window too long: a break-glass window lasts at most 1h, not 2h");

        String opened = cli("break-glass", "open", "--reason", "INC-42 summariser down", "--for", "30m", "--admin",
                gateway.adminBase(), "--token", erin);
        assertThat(opened).containsPattern("bg-[0-9a-f]{32}: open until ").contains("exit=0");

        HttpResponse<String> withoutJustification = gateway.post("/v1/chat/completions", erin, CHAT);
        HttpResponse<String> broken = gateway.post("/v1/chat/completions", erin, CHAT, "Gatehouse-Break-Glass", why);

        assertThat(withoutJustification.statusCode()).isEqualTo(403);
        assertThat(json(withoutJustification.body()).path("rule").asText()).isEqualTo("no-model-access");
        assertThat(broken.statusCode()).as(broken.body()).isEqualTo(200);
        assertThat(json(broken.body()).path("choices").get(0).path("message").path("content").asText())
                .isEqualTo("You said: status of the outage");
        String recordId = broken.headers().firstValue("Gatehouse-Request-Id").orElseThrow();

        String hooked = HOOKED.poll(30, TimeUnit.SECONDS);
        assertThat(hooked).isNotNull();
        JsonNode event = json(hooked);
        assertThat(event.path("event").asText()).isEqualTo("break-glass");
        assertThat(event.path("use").path("user").asText()).isEqualTo("erin");
        assertThat(event.path("use").path("recordId").asText()).isEqualTo(recordId);
        assertThat(event.path("use").path("rule").asText()).isEqualTo("no-model-access");
        assertThat(event.path("use").path("justification").asText()).isEqualTo(why);

        JsonNode record = json(gateway.admin("/admin/sessions/" + recordId, stack.dave(), null).body());
        assertThat(record.toString()).contains("break-glass").contains("auditors/no-model-access").contains(why);

        String queue = cli("break-glass", "review", "--admin", gateway.adminBase(), "--token", stack.carol());
        assertThat(queue).contains("erin passed auditors/no-model-access on openai")
                .contains(recordId).contains(why).contains("[waiting]").contains("1 use(s) waiting for review");
        String useId = queue.lines().filter(l -> l.startsWith("bgu-")).findFirst().orElseThrow().split(" ")[0];
        String selfAck = cli("break-glass", "ack", useId, "--reason", "fine", "--admin", gateway.adminBase(),
                "--token", stack.token("erin", "auditors", "incident-responders", "ml-leads"));
        assertThat(selfAck).contains("403: Self-review refused");
        String acked = cli("break-glass", "ack", useId, "--reason", "checked INC-42 timeline", "--admin",
                gateway.adminBase(), "--token", stack.carol());
        assertThat(acked).contains(useId + ": acknowledged by carol").contains("exit=0");
        assertThat(cli("break-glass", "review", "--admin", gateway.adminBase(), "--token", stack.carol()))
                .contains("0 use(s) waiting for review");

        assertThat(cli("break-glass", "close", "--admin", gateway.adminBase(), "--token", erin)).contains(": closed");
        HttpResponse<String> afterClose = gateway.post("/v1/chat/completions", erin, CHAT, "Gatehouse-Break-Glass",
                why);
        assertThat(afterClose.statusCode()).isEqualTo(403);
        assertThat(json(afterClose.body()).path("title").asText()).isEqualTo("No break-glass window");
    }
}
