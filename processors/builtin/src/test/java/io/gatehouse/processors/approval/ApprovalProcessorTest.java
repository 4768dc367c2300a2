package io.gatehouse.processors.approval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.spi.ApprovalRequirement;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.StandardAttributes;
import io.gatehouse.spi.approval.Approval;
import io.gatehouse.spi.approval.ApprovalStatus;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.TestClock;
import io.gatehouse.testkit.TestExchange;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The approval step on its own (testkit), over a real embedded store. */
class ApprovalProcessorTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BATCH = "{\"input_file_id\":\"file-1\",\"endpoint\":\"/v1/chat/completions\","
            + "\"completion_window\":\"24h\"}";
    private static final Operation BATCH_CREATE = new Operation("openai", OperationKind.BATCH_CREATE, null, false, 1,
            OptionalInt.empty());
    private static final Identity ALICE = ApprovalStore.identity("alice", "analysts");

    @TempDir
    Path temp;

    private final TestClock clock = TestClock.atDefaultStart();
    private ApprovalStore store;
    private ProcessorHarness<ApprovalConfig> harness;

    @BeforeEach
    void open() throws Exception {
        store = new ApprovalStore(temp, clock);
        harness = harness(new ApprovalConfig(new ApprovalTrigger(Set.of("batch-create"), 64, null), Set.of("ml-leads"),
                null, null, null, null, null, null, Duration.ofSeconds(30), null));
    }

    @AfterEach
    void close() {
        harness.close();
        store.close();
    }

    private ProcessorHarness<ApprovalConfig> harness(ApprovalConfig config) {
        return ProcessorHarness.builder(new ApprovalProcessorFactory(), config).endpointId("openai").clock(clock)
                .services(store.services()).timeout(Duration.ofSeconds(20)).build();
    }

    private static TestExchange.Builder batch(String body, String... headers) {
        TestExchange.Builder b = TestExchange.post("/v1/batches").endpointId("openai").operation(BATCH_CREATE)
                .header("Content-Type", "application/json").body(body).identity(ALICE);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b;
    }

    private static JsonNode json(Outcome outcome) throws Exception {
        return JSON.readTree(new String(((Outcome.Respond) outcome).body(), StandardCharsets.UTF_8));
    }

    /** Holds a batch request and returns its approval id. */
    private String hold(String body) throws Exception {
        Outcome held = harness.request(batch(body, "Gatehouse-Reason", "monthly eval").build());
        return json(held).path("id").asText();
    }

    @Test
    void aBatchCreateIsHeldWith202LocationAndABodyNamingIdSummaryApproversAndExpiry() throws Exception {
        TestExchange exchange = batch(BATCH, "Gatehouse-Reason", "monthly eval").build();

        Outcome outcome = harness.request(exchange);

        assertThat(outcome).isInstanceOf(Outcome.Respond.class);
        Outcome.Respond held = (Outcome.Respond) outcome;
        JsonNode body = json(held);
        String id = body.path("id").asText();
        assertThat(held.status()).isEqualTo(202);
        assertThat(held.contentType()).isEqualTo("application/json");
        assertThat(held.headers()).containsEntry("Location", "/admin/approvals/" + id)
                .containsEntry("Gatehouse-Approval", id);
        assertThat(body.path("status").asText()).isEqualTo("pending");
        assertThat(body.path("summary").asText()).isEqualTo("batch-create, POST /v1/batches on openai");
        assertThat(body.path("approvers").toString()).isEqualTo("[\"ml-leads\"]");
        assertThat(body.path("approvalsNeeded").asInt()).isEqualTo(1);
        assertThat(body.path("expiresAt").asText()).isEqualTo("2026-01-01T01:00:00Z");
        assertThat(body.path("reason").asText()).isEqualTo("monthly eval");
        assertThat(body.path("retry").asText()).isEqualTo("once approved, send the same request again with the"
                + " header Gatehouse-Approval: " + id + "; or add Prefer: wait=<seconds> to wait for the decision");
        assertThat(exchange.attributes().get(StandardAttributes.APPROVAL_ID)).as("set only when let through").isEmpty();
        Approval stored = store.approvals.get(id).orElseThrow();
        assertThat(stored.requester().username()).isEqualTo("alice");
        assertThat(stored.recordId()).isEqualTo(exchange.requestId());
        assertThat(stored.digest()).isEqualTo(RequestDigest.of("openai", exchange.request(), List.of("Content-Type")));
        assertThat(exchange.request().headers().contains("Gatehouse-Reason")).as("removed after reading").isFalse();
    }

    @Test
    void aPolicysRequireApprovalHoldsWithThePolicysGroupsTtlAndRule() throws Exception {
        DecidingRule rule = new DecidingRule("analysts", "big-embeddings", "batch 500 > 64");
        TestExchange exchange = TestExchange.post("/v1/embeddings").endpointId("openai").identity(ALICE)
                .operation(new Operation("openai", OperationKind.EMBEDDINGS, "bge-small", false, 500,
                        OptionalInt.empty()))
                .attribute(StandardAttributes.APPROVAL_REQUIRED, new ApprovalRequirement(rule, Set.of("data-owners"),
                        Duration.ofMinutes(10))).body("{}").build();

        Outcome outcome = harness.request(exchange);

        Approval stored = store.approvals.get(json(outcome).path("id").asText()).orElseThrow();
        assertThat(stored.approverGroups()).containsExactly("data-owners");
        assertThat(stored.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(10)));
        assertThat(stored.rule()).isEqualTo(rule);
        assertThat(stored.summary()).isEqualTo("embeddings, model bge-small, 500 inputs, POST /v1/embeddings on openai");
    }

    @Test
    void aRequestNothingMarksGoesOnAndLosesItsApprovalHeaders() {
        TestExchange exchange = TestExchange.post("/v1/chat/completions").endpointId("openai").identity(ALICE)
                .operation(new Operation("openai", OperationKind.CHAT, "m", false, 1, OptionalInt.empty()))
                .header("Gatehouse-Approval", "apr-x").header("Gatehouse-Reason", "r").body("{}").build();

        assertThat(harness.request(exchange)).isEqualTo(Outcome.proceed());
        assertThat(exchange.request().headers().contains("Gatehouse-Approval")).isFalse();
        assertThat(exchange.request().headers().contains("Gatehouse-Reason")).isFalse();
        assertThat(exchange.attributes().get(StandardAttributes.APPROVAL_ID)).isEmpty();
    }

    @Test
    void theBatchThresholdHoldsAChatWithSixtyFourInputs() throws Exception {
        TestExchange exchange = TestExchange.post("/v1/completions").endpointId("openai").identity(ALICE)
                .operation(new Operation("openai", OperationKind.COMPLETION, "m", false, 64, OptionalInt.empty()))
                .body("{}").build();

        Outcome outcome = harness.request(exchange);

        assertThat(((Outcome.Respond) outcome).status()).isEqualTo(202);
        assertThat(store.approvals.get(json(outcome).path("id").asText()).orElseThrow().rule().reason())
                .isEqualTo("batch 64 >= 64");
    }

    @Test
    void aCelConditionHoldsWhatItMatchesAndLetsTheRestThrough() throws Exception {
        harness.close();
        harness = harness(new ApprovalConfig(new ApprovalTrigger(null, null, "operation.batch > 64"),
                Set.of("ml-leads"), null, null, null, null, null, null, null, null));
        Operation big = new Operation("openai", OperationKind.EMBEDDINGS, "m", false, 65, OptionalInt.empty());
        Operation small = new Operation("openai", OperationKind.EMBEDDINGS, "m", false, 64, OptionalInt.empty());

        Outcome held = harness.request(TestExchange.post("/v1/embeddings").endpointId("openai").identity(ALICE)
                .operation(big).body("{}").build());
        Outcome passed = harness.request(TestExchange.post("/v1/embeddings").endpointId("openai").identity(ALICE)
                .operation(small).body("{}").build());

        assertThat(((Outcome.Respond) held).status()).isEqualTo(202);
        assertThat(store.approvals.get(json(held).path("id").asText()).orElseThrow().rule().reason())
                .isEqualTo("condition 'operation.batch > 64' holds");
        assertThat(passed).isEqualTo(Outcome.proceed());
    }

    @Test
    void aCelConditionThatCannotBeEvaluatedHoldsTheRequest() throws Exception {
        harness.close();
        harness = harness(new ApprovalConfig(new ApprovalTrigger(null, null, "operation.model == 'x'"),
                Set.of("ml-leads"), null, null, null, null, null, null, null, null));

        Outcome held = harness.request(batch(BATCH).build()); // the batch names no model: no such key

        assertThat(store.approvals.get(json(held).path("id").asText()).orElseThrow().rule().reason())
                .startsWith("condition 'operation.model == 'x'' could not be evaluated (");
    }

    @Test
    void theApprovedRetryGoesOnOnceAndSetsTheApprovalIdThenASecondIsRefusedAsUsed() throws Exception {
        String id = hold(BATCH);
        store.approvals.decide(id, ApprovalStore.person("carol", "ml-leads"), true, "ok");

        TestExchange retry = batch(BATCH, "Gatehouse-Approval", id).build();
        Outcome first = harness.request(retry);
        Outcome second = harness.request(batch(BATCH, "Gatehouse-Approval", id).build());

        assertThat(first).isEqualTo(Outcome.proceed());
        assertThat(retry.attributes().get(StandardAttributes.APPROVAL_ID)).contains(id);
        assertThat(retry.request().headers().contains("Gatehouse-Approval")).isFalse();
        assertThat(second).isEqualTo(Outcome.deny(403, "Approval used", "approval " + id + " has already been used"
                + " (1 of 1); send the request without Gatehouse-Approval to ask again", new DecidingRule("approval",
                "approval-used", "approval " + id + " has already been used (1 of 1); send the request without"
                + " Gatehouse-Approval to ask again")));
    }

    @Test
    void aChangedBodyWithAGrantedIdIsRefusedAsDifferentAndSpendsNothing() throws Exception {
        String id = hold(BATCH);
        store.approvals.decide(id, ApprovalStore.person("carol", "ml-leads"), true, "ok");

        Outcome outcome = harness.request(batch(BATCH.replace("file-1", "file-2"), "Gatehouse-Approval", id).build());

        Outcome.Deny deny = (Outcome.Deny) outcome;
        assertThat(deny.status()).isEqualTo(403);
        assertThat(deny.title()).isEqualTo("Approval does not match");
        assertThat(deny.detail()).isEqualTo("request differs from the approved one: approval " + id + " was given for"
                + " POST /v1/batches on openai with this exact body; send that request, or ask for a new approval");
        assertThat(store.approvals.get(id).orElseThrow().uses()).isZero();
    }

    @Test
    void unknownForeignDeniedExpiredAndCancelledIdsAreRefusedSayingWhich() throws Exception {
        String foreign = hold(BATCH);
        Outcome unknown = harness.request(batch(BATCH, "Gatehouse-Approval", "apr-unknown").build());
        Outcome byBob = harness.request(batch(BATCH, "Gatehouse-Approval", foreign)
                .identity(ApprovalStore.identity("bob", "ml-engineers")).build());
        String denied = hold(BATCH);
        store.approvals.decide(denied, ApprovalStore.person("carol", "ml-leads"), false, "not now");
        Outcome afterDenial = harness.request(batch(BATCH, "Gatehouse-Approval", denied).build());
        String cancelled = hold(BATCH);
        store.approvals.cancel(cancelled, ApprovalStore.person("alice", "analysts"));
        Outcome afterCancel = harness.request(batch(BATCH, "Gatehouse-Approval", cancelled).build());
        String expired = hold(BATCH);
        clock.advance(Duration.ofHours(1));
        Outcome afterExpiry = harness.request(batch(BATCH, "Gatehouse-Approval", expired).build());

        assertThat(((Outcome.Deny) unknown).detail()).isEqualTo("approval 'apr-unknown' does not exist; send the"
                + " request without Gatehouse-Approval to ask for one");
        assertThat(((Outcome.Deny) byBob).title()).isEqualTo("Foreign approval");
        assertThat(((Outcome.Deny) byBob).detail()).isEqualTo("approval " + foreign + " was asked for by someone"
                + " else; only its requester can use it");
        assertThat(((Outcome.Deny) afterDenial).detail()).isEqualTo("approval " + denied + " was denied by carol:"
                + " not now");
        assertThat(((Outcome.Deny) afterCancel).detail()).isEqualTo("approval " + cancelled + " was cancelled by its"
                + " requester");
        assertThat(((Outcome.Deny) afterExpiry).detail()).isEqualTo("approval " + expired + " expired at"
                + " 2026-01-01T01:00:00Z; send the request without Gatehouse-Approval to ask again");
        for (Outcome o : List.of(unknown, byBob, afterDenial, afterCancel, afterExpiry)) {
            assertThat(((Outcome.Deny) o).status()).isEqualTo(403);
        }
    }

    @Test
    void aPendingRetryWithoutWaitIsHeldAgainUnderTheSameId() throws Exception {
        String id = hold(BATCH);

        Outcome again = harness.request(batch(BATCH, "Gatehouse-Approval", id).build());

        assertThat(((Outcome.Respond) again).status()).isEqualTo(202);
        assertThat(json(again).path("id").asText()).isEqualTo(id);
        assertThat(store.approvals.list(ApprovalStatus.PENDING, 10)).hasSize(1);
    }

    @Test
    void preferWaitHoldsTheRequestUntilTheApprovalThenLetsItThrough() throws Exception {
        TestExchange exchange = batch(BATCH, "Prefer", "wait=20").build();
        CompletableFuture<Outcome> outcome = CompletableFuture.supplyAsync(() -> harness.request(exchange));
        Approval pending = awaitPending();
        assertThat(outcome).isNotDone();

        store.approvals.decide(pending.id(), ApprovalStore.person("carol", "ml-leads"), true, "go ahead");

        assertThat(outcome.get(10, TimeUnit.SECONDS)).isEqualTo(Outcome.proceed());
        assertThat(exchange.attributes().get(StandardAttributes.APPROVAL_ID)).contains(pending.id());
        assertThat(store.approvals.get(pending.id()).orElseThrow().status()).isEqualTo(ApprovalStatus.USED);
    }

    @Test
    void preferWaitEndsWithA403WhenTheRequestIsDenied() throws Exception {
        CompletableFuture<Outcome> outcome = CompletableFuture.supplyAsync(() -> harness.request(
                batch(BATCH, "Prefer", "respond-async, wait=20").build()));
        Approval pending = awaitPending();

        store.approvals.decide(pending.id(), ApprovalStore.person("carol", "ml-leads"), false, "too large");

        Outcome.Deny deny = (Outcome.Deny) outcome.get(10, TimeUnit.SECONDS);
        assertThat(deny.title()).isEqualTo("Approval denied");
        assertThat(deny.detail()).isEqualTo("approval " + pending.id() + " was denied by carol: too large");
    }

    @Test
    void preferWaitWithoutADecisionAnswers202SayingHowLongItWaited() throws Exception {
        Outcome outcome = harness.request(batch(BATCH, "Prefer", "wait=1").build());

        Outcome.Respond held = (Outcome.Respond) outcome;
        assertThat(held.status()).isEqualTo(202);
        assertThat(held.headers()).containsEntry("Preference-Applied", "wait=1");
    }

    @Test
    void preferWaitIsCappedAtMaxWait() throws Exception {
        harness.close();
        harness = harness(new ApprovalConfig(new ApprovalTrigger(Set.of("batch-create"), null, null), Set.of("ml-leads"),
                null, null, null, null, null, null, Duration.ofSeconds(1), null));

        Outcome outcome = harness.request(batch(BATCH, "Prefer", "wait=3600").build());

        assertThat(((Outcome.Respond) outcome).headers()).containsEntry("Preference-Applied", "wait=1");
    }

    @Test
    void theStoreGoingDownWhileARequestWaitsAnswers503AndForwardsNothing() throws Exception {
        TestExchange exchange = batch(BATCH, "Prefer", "wait=20").build();
        CompletableFuture<Outcome> outcome = CompletableFuture.supplyAsync(() -> harness.request(exchange));
        awaitPending();

        store.store.close();

        Outcome.Deny deny = (Outcome.Deny) outcome.get(10, TimeUnit.SECONDS);
        assertThat(deny.status()).isEqualTo(503);
        assertThat(deny.detail()).isEqualTo("the approval store cannot be reached, so this request was not"
                + " forwarded; retry later");
        assertThat(deny.headers()).containsEntry("Retry-After", "2");
        assertThat(exchange.attributes().get(StandardAttributes.APPROVAL_ID)).isEmpty();
    }

    @Test
    void aRequiredReasonIsAskedForWith400() {
        harness.close();
        harness = harness(new ApprovalConfig(new ApprovalTrigger(Set.of("batch-create"), null, null), Set.of("ml-leads"),
                null, true, null, null, null, null, null, null));

        Outcome outcome = harness.request(batch(BATCH).build());

        assertThat(outcome).isEqualTo(Outcome.deny(400, "Reason required", "this request needs an approval and a"
                + " reason: send the header Gatehouse-Reason: <why you need it>", new DecidingRule("approval",
                "reason-required", "endpoint 'openai' requires a reason")));
    }

    @Test
    void aRequestToHoldWithoutAnIdentifiedCallerIsRefused() {
        Outcome outcome = harness.request(TestExchange.post("/v1/batches").endpointId("openai")
                .operation(BATCH_CREATE).body(BATCH).build());

        assertThat(((Outcome.Deny) outcome).detail()).isEqualTo("this request needs an approval, but no caller was"
                + " identified; the endpoint's pipeline must run auth before approval");
    }

    private Approval awaitPending() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            List<Approval> pending = store.approvals.list(ApprovalStatus.PENDING, 10);
            if (!pending.isEmpty()) {
                Thread.sleep(100); // the waiter registers right after the hold
                return pending.get(0);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("nothing was held");
    }
}
