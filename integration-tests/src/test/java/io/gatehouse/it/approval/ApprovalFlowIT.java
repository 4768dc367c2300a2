package io.gatehouse.it.approval;

import static io.gatehouse.it.approval.ApprovalStack.batchBody;
import static io.gatehouse.it.approval.ApprovalStack.json;
import static io.gatehouse.it.approval.ApprovalStack.lines;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FilePurpose;
import io.gatehouse.cli.GatehouseCommand;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole approval flow through a real gateway (listener, pipeline, agent, sample model, store,
 * admin API, CLI), with dev-issuer tokens carrying the sample realm's groups: alice (analysts) asks,
 * carol (ml-leads) decides, bob (ml-engineers) is no approver here, dave (auditors) reads the trail.
 */
class ApprovalFlowIT {

    private static ApprovalStack stack;
    private static ApprovalStack.Replica gateway;

    @BeforeAll
    static void start() throws Exception {
        stack = ApprovalStack.start(false);
        gateway = stack.replica("a").startInJvm();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    private static OpenAIClient sdk(String token) {
        return OpenAIOkHttpClient.builder().baseUrl(gateway.baseUrl()).apiKey(token).maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
    }

    /** Holds a new batch request of alice and returns [approval id, body]. */
    private static String[] holdBatch() throws Exception {
        String body = batchBody(gateway.upload(stack.alice(), lines(3)));
        HttpResponse<String> held = gateway.post("/v1/batches", stack.alice(), body, "Gatehouse-Reason", "eval");
        assertThat(held.statusCode()).as(held.body()).isEqualTo(202);
        return new String[] {json(held.body()).path("id").asText(), body};
    }

    private static String cli(String... args) {
        PrintStream original = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrintStream capture = new PrintStream(out, true, StandardCharsets.UTF_8);
            System.setOut(capture);
            System.setErr(capture);
            int exit = GatehouseCommand.commandLine().execute(args);
            capture.println("exit=" + exit);
        } finally {
            System.setOut(original);
            System.setErr(originalErr);
        }
        // The gateway runs in this JVM: drop its log lines, keep what the command printed.
        return out.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} .*"))
                .map(l -> l + "\n").collect(java.util.stream.Collectors.joining());
    }

    @Test
    void aliceBatchJobIsHeldApprovedByCarolThroughTheCliAndRunsOnHerRetryWithTheOpenAiSdk() throws Exception {
        Path input = Files.writeString(Files.createTempFile("requests", ".jsonl"), lines(3));
        String id;
        OpenAIClient alice = sdk(stack.alice());
        try {
            String fileId = alice.files().create(FileCreateParams.builder().file(input).purpose(FilePurpose.BATCH)
                    .build()).id();
            BatchCreateParams params = BatchCreateParams.builder().inputFileId(fileId)
                    .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                    .completionWindow(BatchCreateParams.CompletionWindow._24H)
                    .putAdditionalHeader("Gatehouse-Reason", "monthly eval").build();
            try (HttpResponseFor<Batch> held = alice.batches().withRawResponse().create(params)) {
                assertThat(held.statusCode()).isEqualTo(202);
                id = held.headers().values("Gatehouse-Approval").get(0);
                assertThat(held.headers().values("Location")).containsExactly("/admin/approvals/" + id);
                try (InputStream in = held.body()) {
                    JsonNode body = json(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    assertThat(body.path("status").asText()).isEqualTo("pending");
                    assertThat(body.path("approvers").toString()).isEqualTo("[\"ml-leads\"]");
                    assertThat(body.path("summary").asText()).isEqualTo("batch-create, POST /v1/batches on openai");
                }
            }

            String listed = cli("approvals", "list", "--admin", gateway.adminBase(), "--token", stack.carol());
            String approved = cli("approvals", "approve", id, "--reason", "planned monthly eval", "--admin",
                    gateway.adminBase(), "--token", stack.carol());

            assertThat(listed).contains(id).contains("alice").contains("ml-leads").contains("0/1").contains("exit=0");
            assertThat(approved).isEqualTo(id + ": approved (1 of 1 approvals) batch-create, POST /v1/batches on"
                    + " openai\nexit=0\n");
            Batch batch = alice.batches().create(params.toBuilder().putAdditionalHeader("Gatehouse-Approval", id)
                    .build());
            assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
            assertThat(batch.requestCounts().orElseThrow().completed()).isEqualTo(3);
        } finally {
            alice.close();
            Files.deleteIfExists(input);
        }
        JsonNode after = json(gateway.admin("/admin/approvals/" + id, stack.alice(), null).body());
        assertThat(after.path("status").asText()).isEqualTo("used");
        assertThat(after.path("votes").get(0).path("username").asText()).isEqualTo("carol");
        assertThat(after.path("votes").get(0).path("reason").asText()).isEqualTo("planned monthly eval");
    }

    @Test
    void aliceCannotApproveHerOwnRequestAndBobsApprovalDoesNotCountWhereMlLeadsAreRequired() throws Exception {
        String[] held = holdBatch();
        String id = held[0];

        HttpResponse<String> own = gateway.admin("/admin/approvals/" + id + "/approve", stack.alice(),
                "{\"reason\":\"I need it\"}");
        HttpResponse<String> byBob = gateway.admin("/admin/approvals/" + id + "/approve", stack.bob(),
                "{\"reason\":\"fine by me\"}");
        String bobCli = cli("approvals", "approve", id, "--reason", "fine by me", "--admin", gateway.adminBase(),
                "--token", stack.bob());
        HttpResponse<String> retry = gateway.post("/v1/batches", stack.alice(), held[1], "Gatehouse-Approval", id);

        assertThat(own.statusCode()).isEqualTo(403);
        assertThat(json(own.body()).path("detail").asText()).isEqualTo("alice asked for approval " + id + " and so"
                + " cannot decide on it; a member of ml-leads must");
        assertThat(byBob.statusCode()).isEqualTo(403);
        assertThat(json(byBob.body()).path("detail").asText()).isEqualTo("approval " + id + " is decided by members of"
                + " ml-leads; bob is in ml-engineers");
        assertThat(bobCli).isEqualTo("gatehouse: the admin API answered 403: Not an approver: approval " + id
                + " is decided by members of ml-leads; bob is in ml-engineers\nexit=2\n");
        assertThat(retry.statusCode()).as("still pending: held again").isEqualTo(202);
        JsonNode state = json(gateway.admin("/admin/approvals/" + id, stack.carol(), null).body());
        assertThat(state.path("status").asText()).isEqualTo("pending");
        assertThat(state.path("approvals").asInt()).isZero();
        assertThat(gateway.admin("/admin/approvals/" + id, stack.bob(), null).statusCode())
                .as("bob may not even see it").isEqualTo(404);
    }

    @Test
    void oneHundredConcurrentRetriesWithOneGrantedIdForwardExactlyOne() throws Exception {
        String[] held = holdBatch();
        assertThat(gateway.admin("/admin/approvals/" + held[0] + "/approve", stack.carol(), "{\"reason\":\"ok\"}")
                .statusCode()).isEqualTo(200);
        String alice = stack.alice();

        List<CompletableFuture<HttpResponse<String>>> retries = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            retries.add(stack.http.sendAsync(gateway.postRequest("/v1/batches", alice, held[1], "Gatehouse-Approval",
                    held[0]), HttpResponse.BodyHandlers.ofString()));
        }
        List<HttpResponse<String>> answers = retries.stream().map(CompletableFuture::join).toList();

        assertThat(answers.stream().filter(r -> r.statusCode() == 200)).hasSize(1);
        List<HttpResponse<String>> refused = answers.stream().filter(r -> r.statusCode() == 403).toList();
        assertThat(refused).hasSize(99);
        assertThat(json(refused.get(0).body()).path("title").asText()).isEqualTo("Approval used");
        assertThat(json(gateway.admin("/admin/approvals/" + held[0], alice, null).body()).path("uses").asInt())
                .isEqualTo(1);
    }

    @Test
    void aChangedBodyWithAGrantedIdIsRefusedAndTheUnchangedRetryStillWorks() throws Exception {
        String[] held = holdBatch();
        gateway.admin("/admin/approvals/" + held[0] + "/approve", stack.carol(), "{\"reason\":\"ok\"}");
        String changed = held[1].replace("24h", "24h\", \"metadata\": {\"x\": \"y\"}, \"z\": \"1");

        HttpResponse<String> differs = gateway.post("/v1/batches", stack.alice(), changed, "Gatehouse-Approval",
                held[0]);
        HttpResponse<String> foreign = gateway.post("/v1/batches", stack.bob(), held[1], "Gatehouse-Approval",
                held[0]);
        HttpResponse<String> same = gateway.post("/v1/batches", stack.alice(), held[1], "Gatehouse-Approval", held[0]);

        assertThat(differs.statusCode()).isEqualTo(403);
        assertThat(differs.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(json(differs.body()).path("detail").asText()).startsWith("request differs from the approved one");
        assertThat(foreign.statusCode()).isEqualTo(403);
        assertThat(json(foreign.body()).path("title").asText()).isEqualTo("Foreign approval");
        assertThat(same.statusCode()).isEqualTo(200);
        assertThat(json(same.body()).path("status").asText()).isEqualTo("completed");
    }

    @Test
    void preferWaitHoldsTheConnectionAndForwardsAsSoonAsCarolApproves() throws Exception {
        String body = batchBody(gateway.upload(stack.alice(), lines(2)));
        CompletableFuture<HttpResponse<String>> waiting = stack.http.sendAsync(gateway.postRequest("/v1/batches",
                stack.alice(), body, "Prefer", "wait=50"), HttpResponse.BodyHandlers.ofString());
        JsonNode pending = awaitPendingOf("alice");
        assertThat(waiting).isNotDone();

        gateway.admin("/admin/approvals/" + pending.path("id").asText() + "/approve", stack.carol(),
                "{\"reason\":\"go\"}");

        HttpResponse<String> answer = waiting.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(json(answer.body()).path("status").asText()).isEqualTo("completed");
    }

    @Test
    void aDenialIsFinalAndTheRetryIsRefusedSayingWhoDeniedAndWhy() throws Exception {
        String[] held = holdBatch();

        String denied = cli("approvals", "deny", held[0], "--reason", "too expensive this month", "--admin",
                gateway.adminBase(), "--token", stack.carol());
        HttpResponse<String> late = gateway.admin("/admin/approvals/" + held[0] + "/approve",
                stack.token("erin", "ml-leads"), "{\"reason\":\"ok\"}");
        HttpResponse<String> retry = gateway.post("/v1/batches", stack.alice(), held[1], "Gatehouse-Approval",
                held[0]);

        assertThat(denied).startsWith(held[0] + ": denied");
        assertThat(late.statusCode()).isEqualTo(409);
        assertThat(retry.statusCode()).isEqualTo(403);
        assertThat(json(retry.body()).path("detail").asText()).isEqualTo("approval " + held[0] + " was denied by"
                + " carol: too expensive this month");
    }

    @Test
    void theRequesterCanCancelAndTheAuditTrailHoldsEveryApprovalStepLinkedToItsExchanges() throws Exception {
        String[] held = holdBatch();
        String cancelled = cli("approvals", "cancel", held[0], "--admin", gateway.adminBase(), "--token",
                stack.alice());
        String[] used = holdBatch();
        gateway.admin("/admin/approvals/" + used[0] + "/approve", stack.carol(), "{\"reason\":\"ok\"}");
        HttpResponse<String> run = gateway.post("/v1/batches", stack.alice(), used[1], "Gatehouse-Approval", used[0]);

        assertThat(cancelled).isEqualTo(held[0] + ": cancelled\nexit=0\n");
        assertThat(run.statusCode()).isEqualTo(200);
        String runRecord = run.headers().firstValue("Gatehouse-Request-Id").orElseThrow();
        JsonNode approval = json(gateway.admin("/admin/approvals/" + used[0], stack.dave(), null).body());
        String export = gateway.admin("/admin/audit/export", stack.dave(), null).body();
        List<JsonNode> events = new ArrayList<>();
        for (String line : export.split("\n")) {
            JsonNode e = json(line);
            if ("approval".equals(e.path("type").asText()) && used[0].equals(e.path("recordId").asText())) {
                events.add(e.path("payload"));
            }
        }
        assertThat(events).extracting(e -> e.path("event").asText()).containsExactly("requested", "approved", "used");
        assertThat(events.get(0).path("heldRequestId").asText()).isEqualTo(approval.path("heldRequestId").asText());
        assertThat(events.get(1).path("actor").path("username").asText()).isEqualTo("carol");
        assertThat(events.get(2).path("requestId").asText()).isEqualTo(runRecord);
        JsonNode exchange = json(gateway.admin("/admin/sessions/" + runRecord, stack.dave(), null).body());
        assertThat(exchange.toString()).contains("\"approvalId\":\"" + used[0] + "\"");
        JsonNode verify = json(gateway.admin("/admin/audit/verify", stack.dave(), null).body());
        assertThat(verify.path("ok").asBoolean()).as(verify.toPrettyString()).isTrue();
    }

    private static JsonNode awaitPendingOf(String user) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (JsonNode a : json(gateway.admin("/admin/approvals?status=pending", stack.carol(), null).body())
                    .path("approvals")) {
                if (a.path("requester").path("username").asText().equals(user)) {
                    return a;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no pending approval of " + user);
    }
}
