package io.gatehouse.it.approval;

import static io.gatehouse.it.approval.ApprovalStack.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.cli.GatehouseCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A quota overrun escalates instead of failing, through the real gateway, store, admin API and CLI: alice
 * over her request rate (or token quota) gets the 202 approval flow instead of a 429; carol grants "N more
 * for T" within the quota's bounds; alice's next requests over the quota, whatever their bodies, use the
 * grant until it is used up; the grant is kept on the approval (and in the audit trail).
 */
class QuotaEscalationIT {

    private static ApprovalStack stack;
    private static ApprovalStack.Replica gateway;

    @BeforeAll
    static void start() throws Exception {
        stack = ApprovalStack.start(false);
        gateway = stack.replica("quota", "  - recording: {}\n  - auth:\n      providers: [dev]\n  - policy: {}\n"
                + "  - approval:\n      approvers: [ml-leads]\n");
        ApprovalStack.write(gateway.config.resolve("policies/analysts.yaml"), """
                name: analysts
                appliesTo: { groups: [analysts] }
                rules:
                  - name: chat
                    effect: allow
                    operations: [chat]
                    models: [demo-small]
                    rateLimits:
                      - { per: identity, requests: 2, every: 1h, onExceeded: require-approval,
                          approvers: [ml-leads], maxExtra: 5, maxExtraFor: 1h }
                  - name: embed
                    effect: allow
                    operations: [embeddings]
                    rateLimits:
                      - { per: identity, tokens: 3, every: 1h, onExceeded: require-approval, maxExtra: 50 }
                """);
        gateway.startInJvm();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    private static String chat(String text) {
        return "{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
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

    @Test
    void aliceOverHerRateIsHeldInsteadOfRefusedAndCarolsGrantOfTwoMoreLetsExactlyTwoThrough() throws Exception {
        String alice = stack.token("alice-rate", "analysts");
        assertThat(gateway.post("/v1/chat/completions", alice, chat("one")).statusCode()).isEqualTo(200);
        assertThat(gateway.post("/v1/chat/completions", alice, chat("two")).statusCode()).isEqualTo(200);

        HttpResponse<String> held = gateway.post("/v1/chat/completions", alice, chat("three"));

        assertThat(held.statusCode()).as(held.body()).isEqualTo(202);
        JsonNode body = json(held.body());
        String id = body.path("id").asText();
        assertThat(body.path("summary").asText()).startsWith("more requests beyond 2 requests per 1h per identity "
                + "(up to 5 for 1h), chat, model demo-small");
        assertThat(body.path("approvers").toString()).isEqualTo("[\"ml-leads\"]");

        HttpResponse<String> tooMuch = gateway.admin("/admin/approvals/" + id + "/approve", stack.carol(),
                "{\"reason\":\"quarter close\",\"grant\":{\"amount\":6,\"for\":\"30m\"}}");
        assertThat(tooMuch.statusCode()).isEqualTo(400);
        assertThat(json(tooMuch.body()).path("detail").asText()).isEqualTo("approval " + id
                + " may grant 1 to 5 uses, not 6");
        String granted = cli("approvals", "approve", id, "--reason", "quarter close", "--grant", "2", "--for", "30m",
                "--admin", gateway.adminBase(), "--token", stack.carol());
        assertThat(granted).contains(id + ": approved (1 of 1 approvals) more requests beyond").contains("; granted 2 until ")
                .contains("exit=0");

        HttpResponse<String> first = gateway.post("/v1/chat/completions", alice, chat("three"), "Gatehouse-Approval", id);
        HttpResponse<String> second = gateway.post("/v1/chat/completions", alice, chat("a different question"),
                "Gatehouse-Approval", id);
        HttpResponse<String> third = gateway.post("/v1/chat/completions", alice, chat("four"), "Gatehouse-Approval", id);

        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(json(first.body()).path("choices").get(0).path("message").path("content").asText())
                .isEqualTo("You said: three");
        assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
        assertThat(third.statusCode()).isEqualTo(403);
        assertThat(json(third.body()).path("title").asText()).isEqualTo("Approval used");
        JsonNode after = json(gateway.admin("/admin/approvals/" + id, alice, null).body());
        assertThat(after.path("status").asText()).isEqualTo("used");
        assertThat(after.path("maxUses").asInt()).isEqualTo(2);
        Instant grantEnds = Instant.parse(after.path("grantExpiresAt").asText());
        Instant decided = Instant.parse(after.path("decidedAt").asText());
        assertThat(Duration.between(decided, grantEnds)).isEqualTo(Duration.ofMinutes(30));
    }

    @Test
    void aGrantOfMoreTokensIsUsedUpByTheTokensOfTheAnswersItLetThrough() throws Exception {
        String alice = stack.token("alice-tokens", "analysts");
        String embed = "{\"model\":\"demo-small\",\"input\":\"four words of input\"}";
        assertThat(gateway.post("/v1/embeddings", alice, embed).statusCode()).isEqualTo(200);   // 4 tokens: 3 - 4 < 0

        HttpResponse<String> held = gateway.post("/v1/embeddings", alice, embed);
        assertThat(held.statusCode()).as(held.body()).isEqualTo(202);
        String id = json(held.body()).path("id").asText();
        assertThat(json(held.body()).path("summary").asText()).startsWith("more tokens beyond 3 tokens per 1h per "
                + "identity (up to 50 for 1h)");
        HttpResponse<String> approved = gateway.admin("/admin/approvals/" + id + "/approve", stack.carol(),
                "{\"reason\":\"load test\",\"grant\":{\"amount\":8,\"for\":\"10m\"}}");
        assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);

        assertThat(gateway.post("/v1/embeddings", alice, embed, "Gatehouse-Approval", id).statusCode()).isEqualTo(200);
        JsonNode afterOne = awaitUses(id, 4);
        assertThat(afterOne.path("status").asText()).isEqualTo("approved");
        assertThat(gateway.post("/v1/embeddings", alice, embed, "Gatehouse-Approval", id).statusCode()).isEqualTo(200);
        JsonNode afterTwo = awaitUses(id, 8);

        assertThat(afterTwo.path("status").asText()).isEqualTo("used");
        HttpResponse<String> refused = gateway.post("/v1/embeddings", alice, embed, "Gatehouse-Approval", id);
        assertThat(refused.statusCode()).isEqualTo(403);
    }

    /** The approval once its uses reached {@code uses} (tokens are charged when the answer has ended). */
    private static JsonNode awaitUses(String id, int uses) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode a;
        do {
            a = json(gateway.admin("/admin/approvals/" + id, stack.carol(), null).body());
            if (a.path("uses").asInt() >= uses) {
                return a;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("approval " + id + " did not reach " + uses + " uses: " + a);
    }
}
