package io.gatehouse.store.approval;

import static io.gatehouse.store.approval.ApprovalFixtures.ALICE;
import static io.gatehouse.store.approval.ApprovalFixtures.BOB;
import static io.gatehouse.store.approval.ApprovalFixtures.CAROL;
import static io.gatehouse.store.approval.ApprovalFixtures.DAVE;
import static io.gatehouse.store.approval.ApprovalFixtures.DIGEST;
import static io.gatehouse.store.approval.ApprovalFixtures.await;
import static io.gatehouse.store.approval.ApprovalFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.spi.approval.Approval;
import io.gatehouse.spi.approval.ApprovalStatus;
import io.gatehouse.spi.approval.MfaRule;
import io.gatehouse.spi.approval.Person;
import io.gatehouse.spi.approval.UseResult;
import io.gatehouse.spi.approval.Vote;
import io.gatehouse.store.Dialect;
import io.gatehouse.store.Store;
import io.gatehouse.store.StoreException;
import io.gatehouse.store.TestStores;
import io.gatehouse.store.audit.AuditSettings;
import io.gatehouse.store.audit.AuditVerifier;
import io.gatehouse.store.audit.AuditWriter;
import io.gatehouse.store.audit.CanonicalJson;
import io.gatehouse.store.audit.TrustedKeys;
import io.gatehouse.store.audit.VerifyReport;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The approval rules, on H2 and on PostgreSQL, as the approval step and the admin API use them. */
class ApprovalsTest {

    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    /** Background timers slow enough that tests drive sweeps themselves. */
    private static final Approvals.Settings QUIET = new Approvals.Settings(Duration.ofMillis(200), Duration.ofHours(1));

    @TempDir
    Path temp;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final ApprovalFixtures.MovableClock clock = new ApprovalFixtures.MovableClock(T0);
    private TestStores stores;

    @AfterEach
    void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        if (stores != null) {
            stores.close();
        }
    }

    private Approvals approvals(Dialect dialect) throws Exception {
        if (stores == null) {
            stores = TestStores.create(dialect, temp);
        }
        return approvals(stores.store(), "r-" + open.size(), QUIET);
    }

    private Approvals approvals(Store store, String replica, Approvals.Settings settings) throws Exception {
        AuditWriter writer = AuditWriter.start(store, AuditSettings.defaults(replica, temp.resolve(replica)), clock);
        open.add(writer);
        Approvals approvals = Approvals.open(store, writer, clock, settings);
        open.add(approvals);
        return approvals;
    }

    private static ApprovalRefusedException refusal(Runnable action) {
        try {
            action.run();
        } catch (ApprovalRefusedException e) {
            return e;
        }
        throw new AssertionError("expected a refusal");
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void aHeldRequestWaitsForAnApproverAndIsThenUsableOnceByItsRequesterWithTheSameRequest(Dialect dialect)
            throws Exception {
        Approvals approvals = approvals(dialect);
        Approval held = await(approvals.hold(request(ALICE)));
        assertThat(held.status()).isEqualTo(ApprovalStatus.PENDING);
        assertThat(held.id()).matches("apr-[0-9a-f]{32}");
        assertThat(held.expiresAt()).isEqualTo(T0.plus(Duration.ofHours(1)));
        assertThat(await(approvals.use(held.id(), ALICE, "openai", DIGEST, "rec-early")).verdict())
                .isEqualTo(UseResult.Verdict.PENDING);

        Approval approved = approvals.decide(held.id(), CAROL, true, "eval run is planned");
        assertThat(approved.status()).isEqualTo(ApprovalStatus.APPROVED);
        assertThat(approved.grantExpiresAt()).isEqualTo(T0.plus(Duration.ofMinutes(15)));
        assertThat(approved.votes()).extracting(Vote::username, Vote::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("carol", "eval run is planned"));

        UseResult first = await(approvals.use(held.id(), ALICE, "openai", DIGEST, "rec-1"));
        UseResult second = await(approvals.use(held.id(), ALICE, "openai", DIGEST, "rec-2"));
        assertThat(first.verdict()).isEqualTo(UseResult.Verdict.GRANTED);
        assertThat(first.approval().status()).isEqualTo(ApprovalStatus.USED);
        assertThat(second.verdict()).isEqualTo(UseResult.Verdict.USED);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void thePendingSummaryCountsWaitingRequestsAndHowLongTheOldestHasWaited(Dialect dialect) throws Exception {
        Approvals approvals = approvals(dialect);
        assertThat(approvals.pending()).isEqualTo(new Approvals.PendingSummary(0, Duration.ZERO));

        Approval first = await(approvals.hold(request(ALICE)));
        clock.advance(Duration.ofMinutes(3));
        await(approvals.hold(request(ALICE)));
        clock.advance(Duration.ofMinutes(2));
        assertThat(approvals.pending()).isEqualTo(new Approvals.PendingSummary(2, Duration.ofMinutes(5)));

        approvals.decide(first.id(), CAROL, true, "fine");
        assertThat(approvals.pending()).isEqualTo(new Approvals.PendingSummary(1, Duration.ofMinutes(2)));
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void theLastPendingSummaryIsWhatTheSweepLastReadSoReadersNeverWaitOnTheStore(Dialect dialect) throws Exception {
        if (stores == null) {
            stores = TestStores.create(dialect, temp);
        }
        Approvals approvals = approvals(stores.store(), "r-sweep",
                new Approvals.Settings(Duration.ofMillis(200), Duration.ofMillis(100)));
        await(approvals.hold(request(ALICE)));
        clock.advance(Duration.ofMinutes(4));

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!approvals.lastPending().map(p -> p.count() == 1).orElse(false) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(approvals.lastPending()).contains(new Approvals.PendingSummary(1, Duration.ofMinutes(4)));
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void noOneApprovesTheirOwnRequestNotEvenThroughAnotherClientOrAnApproverGroup(Dialect dialect) throws Exception {
        Approvals approvals = approvals(dialect);
        Person carolAsRequester = ApprovalFixtures.person("carol", "ml-leads");
        Approval held = await(approvals.hold(request(carolAsRequester)));
        Person sameSubjectOtherClient = new Person(ApprovalFixtures.ISSUER, "sub-carol", "carol.b", Set.of("ml-leads"),
                null, List.of());

        ApprovalRefusedException refused = refusal(() -> approvals.decide(held.id(), sameSubjectOtherClient, true,
                "looks fine"));

        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.title()).isEqualTo("Self-approval refused");
        assertThat(refused.detail()).isEqualTo("carol.b asked for approval " + held.id() + " and so cannot decide on"
                + " it; a member of ml-leads must");
        assertThat(approvals.get(held.id()).orElseThrow().votes()).isEmpty();
        assertThat(approvals.get(held.id()).orElseThrow().status()).isEqualTo(ApprovalStatus.PENDING);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void someoneOutsideTheApproverGroupsIsRefusedAndTheirApprovalDoesNotCount(Dialect dialect) throws Exception {
        Approvals approvals = approvals(dialect);
        Approval held = await(approvals.hold(request(ALICE)));

        ApprovalRefusedException refused = refusal(() -> approvals.decide(held.id(), BOB, true, "fine by me"));

        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.title()).isEqualTo("Not an approver");
        assertThat(refused.detail()).isEqualTo("approval " + held.id() + " is decided by members of ml-leads; bob is"
                + " in ml-engineers");
        Approval after = approvals.get(held.id()).orElseThrow();
        assertThat(after.status()).isEqualTo(ApprovalStatus.PENDING);
        assertThat(after.approvals()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void approvingNeedsASecondFactorWhenTheApprovalSaysSo(Dialect dialect) throws Exception {
        Approvals approvals = approvals(dialect);
        Approval held = await(approvals.hold(request(ALICE, 1, new MfaRule(Set.of(), Set.of("otp")), 1)));

        ApprovalRefusedException refused = refusal(() -> approvals.decide(held.id(), CAROL, true, "ok"));

        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.detail()).isEqualTo("approving " + held.id() + " needs a sign-in with a second factor"
                + " (amr otp); sign in again with it and retry");
        assertThat(refused.headers()).containsEntry("WWW-Authenticate", "Bearer error=\"insufficient_user_"
                + "authentication\", error_description=\"a second factor is required to approve\"");
        Approval approved = approvals.decide(held.id(), ApprovalFixtures.withAmr(CAROL, "pwd", "otp"), true, "ok");
        assertThat(approved.status()).isEqualTo(ApprovalStatus.APPROVED);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void twoOfMNeedsTwoDistinctApproversAndOneApproverCountsOnce(Dialect dialect) throws Exception {
        Approvals approvals = approvals(dialect);
        Approval held = await(approvals.hold(request(ALICE, 2, MfaRule.NONE, 1)));

        Approval afterCarol = approvals.decide(held.id(), CAROL, true, "yes");
        ApprovalRefusedException twice = refusal(() -> approvals.decide(held.id(), CAROL, true, "yes again"));
        Approval afterCarolAgain = approvals.get(held.id()).orElseThrow();
        Approval afterDave = approvals.decide(held.id(), DAVE, true, "yes too");

        assertThat(afterCarol.status()).isEqualTo(ApprovalStatus.PENDING);
        assertThat(afterCarol.approvals()).isEqualTo(1);
        assertThat(twice.status()).isEqualTo(409);
        assertThat(twice.detail()).isEqualTo("carol already decided on approval " + held.id() + " (approve); it"
                + " needs 1 more approval(s) from other members of ml-leads");
        assertThat(afterCarolAgain.status()).isEqualTo(ApprovalStatus.PENDING);
        assertThat(afterDave.status()).isEqualTo(ApprovalStatus.APPROVED);
        assertThat(afterDave.votes()).extracting(Vote::username).containsExactly("carol", "dave");
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void aDenialIsFinalAndItsRetryIsRefusedAsDenied(Dialect dialect) throws Exception {
        Approvals approvals = approvals(dialect);
        Approval held = await(approvals.hold(request(ALICE, 2, MfaRule.NONE, 1)));
        approvals.decide(held.id(), CAROL, true, "yes");

        Approval denied = approvals.decide(held.id(), DAVE, false, "not this quarter");
        ApprovalRefusedException late = refusal(() -> approvals.decide(held.id(),
                ApprovalFixtures.person("erin", "ml-leads"), true, "yes"));

        assertThat(denied.status()).isEqualTo(ApprovalStatus.DENIED);
        assertThat(late.status()).isEqualTo(409);
        assertThat(late.detail()).isEqualTo("approval " + held.id() + " was denied by dave: a denial is final");
        UseResult retry = await(approvals.use(held.id(), ALICE, "openai", DIGEST, "rec-1"));
        assertThat(retry.verdict()).isEqualTo(UseResult.Verdict.DENIED);
        assertThat(retry.approval().denial().reason()).isEqualTo("not this quarter");
    }

    @org.junit.jupiter.api.Test
    void readsAndAnIdleSweepForceNothingToDiskOnH2WhileADecisionDoes() throws Exception {
        stores = TestStores.create(Dialect.H2, temp);
        Store store = stores.store();
        // A trail that takes every event at once: the audit writer's own syncs would blur the count.
        io.gatehouse.store.audit.AuditTrail trail = new io.gatehouse.store.audit.AuditTrail() {
            @Override
            public CompletableFuture<Void> append(io.gatehouse.store.audit.EventDraft event) {
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void retain(String endpointId, Duration retention) {
            }

            @Override
            public String replicaId() {
                return "r-reads";
            }

            @Override
            public io.gatehouse.store.audit.AuditHealth health() {
                return new io.gatehouse.store.audit.AuditHealth(io.gatehouse.store.audit.AuditHealth.State.OK, null,
                        0, 0, 0, 0, 0, 0);
            }
        };
        Approvals approvals = Approvals.open(store, trail, clock, QUIET);
        open.add(approvals);
        Approval held = await(approvals.hold(request(ALICE)));
        long afterHold = store.forcedSyncs();

        approvals.sweep();
        approvals.pending();
        approvals.get(held.id());
        approvals.list(null, 10);
        await(approvals.find(held.id()));

        assertThat(afterHold).as("holding is a write: forced").isPositive();
        assertThat(store.forcedSyncs()).as("reads and a sweep with nothing due").isEqualTo(afterHold);
        approvals.decide(held.id(), CAROL, true, "ok");
        assertThat(store.forcedSyncs()).as("a decision is forced before it is told").isGreaterThan(afterHold);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void aPendingRequestExpiresAfterItsTtlAndCannotBeApprovedThen(Dialect dialect) throws Exception {
        Approvals approvals = approvals(dialect);
        Approval held = await(approvals.hold(request(ALICE)));
        clock.advance(Duration.ofHours(1));

        ApprovalRefusedException late = refusal(() -> approvals.decide(held.id(), CAROL, true, "sorry, late"));
        int swept = approvals.sweep();

        assertThat(late.status()).isEqualTo(410);
        assertThat(late.detail()).isEqualTo("approval " + held.id() + " expired at 2026-03-01T11:00:00Z; the"
                + " requester must send the request again");
        assertThat(swept).isEqualTo(1);
        assertThat(approvals.get(held.id()).orElseThrow().status()).isEqualTo(ApprovalStatus.EXPIRED);
        assertThat(approvals.sweep()).as("expired once, on one replica").isZero();
        assertThat(await(approvals.use(held.id(), ALICE, "openai", DIGEST, "rec-1")).verdict())
                .isEqualTo(UseResult.Verdict.EXPIRED);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void aGrantNotUsedWithinItsTtlExpires(Dialect dialect) throws Exception {
        Approvals approvals = approvals(dialect);
        Approval held = await(approvals.hold(request(ALICE)));
        approvals.decide(held.id(), CAROL, true, "ok");
        clock.advance(Duration.ofMinutes(15));

        UseResult retry = await(approvals.use(held.id(), ALICE, "openai", DIGEST, "rec-1"));

        assertThat(retry.verdict()).isEqualTo(UseResult.Verdict.EXPIRED);
        assertThat(approvals.sweep()).isEqualTo(1);
        assertThat(approvals.get(held.id()).orElseThrow().status()).isEqualTo(ApprovalStatus.EXPIRED);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void theRequesterAloneCanCancelAndACancelledApprovalIsNotUsable(Dialect dialect) throws Exception {
        Approvals approvals = approvals(dialect);
        Approval held = await(approvals.hold(request(ALICE)));

        ApprovalRefusedException notYours = refusal(() -> approvals.cancel(held.id(), CAROL));
        Approval cancelled = approvals.cancel(held.id(), ALICE);
        ApprovalRefusedException again = refusal(() -> approvals.cancel(held.id(), ALICE));

        assertThat(notYours.status()).isEqualTo(403);
        assertThat(notYours.detail()).isEqualTo("only alice, who asked for approval " + held.id() + ", can cancel it");
        assertThat(cancelled.status()).isEqualTo(ApprovalStatus.CANCELLED);
        assertThat(again.status()).isEqualTo(409);
        assertThat(await(approvals.use(held.id(), ALICE, "openai", DIGEST, "rec-1")).verdict())
                .isEqualTo(UseResult.Verdict.CANCELLED);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void aRetryWithAnUnknownIdSomeoneElsesIdOrAChangedRequestIsRefusedAndSpendsNothing(Dialect dialect)
            throws Exception {
        Approvals approvals = approvals(dialect);
        Approval held = await(approvals.hold(request(ALICE)));
        approvals.decide(held.id(), CAROL, true, "ok");

        assertThat(await(approvals.use("apr-nope", ALICE, "openai", DIGEST, "r1")).verdict())
                .isEqualTo(UseResult.Verdict.UNKNOWN);
        assertThat(await(approvals.use(held.id(), BOB, "openai", DIGEST, "r2")).verdict())
                .isEqualTo(UseResult.Verdict.FOREIGN);
        assertThat(await(approvals.use(held.id(), ALICE, "openai", "b".repeat(64), "r3")).verdict())
                .isEqualTo(UseResult.Verdict.DIFFERENT);
        assertThat(await(approvals.use(held.id(), ALICE, "other-endpoint", DIGEST, "r4")).verdict())
                .isEqualTo(UseResult.Verdict.DIFFERENT);
        assertThat(approvals.get(held.id()).orElseThrow().uses()).isZero();
        assertThat(await(approvals.use(held.id(), ALICE, "openai", DIGEST, "r5")).verdict())
                .isEqualTo(UseResult.Verdict.GRANTED);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void oneHundredConcurrentRetriesWithOneGrantGetExactlyOneUse(Dialect dialect) throws Exception {
        Approvals approvals = approvals(dialect);
        Approval held = await(approvals.hold(request(ALICE)));
        approvals.decide(held.id(), CAROL, true, "ok");

        List<CompletableFuture<UseResult>> uses = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            uses.add(approvals.use(held.id(), ALICE, "openai", DIGEST, "rec-" + i));
        }
        List<UseResult.Verdict> verdicts = uses.stream().map(f -> await(f).verdict()).toList();

        assertThat(verdicts.stream().filter(v -> v == UseResult.Verdict.GRANTED)).hasSize(1);
        assertThat(verdicts.stream().filter(v -> v == UseResult.Verdict.USED)).hasSize(99);
        assertThat(count(stores.store(), "SELECT COUNT(*) FROM approval_use")).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void aGrantOfThreeUsesLetsExactlyThreeOfManyConcurrentRetriesThrough(Dialect dialect) throws Exception {
        Approvals approvals = approvals(dialect);
        Approval held = await(approvals.hold(request(ALICE, 1, MfaRule.NONE, 3)));
        approvals.decide(held.id(), CAROL, true, "ok");

        List<CompletableFuture<UseResult>> uses = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            uses.add(approvals.use(held.id(), ALICE, "openai", DIGEST, "rec-" + i));
        }

        assertThat(uses.stream().map(f -> await(f).verdict()).filter(v -> v == UseResult.Verdict.GRANTED)).hasSize(3);
        Approval after = approvals.get(held.id()).orElseThrow();
        assertThat(after.uses()).isEqualTo(3);
        assertThat(after.status()).isEqualTo(ApprovalStatus.USED);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void anApproverGrantsFewerUsesForLessTimeWithinTheBoundsTheRequestAllows(Dialect dialect) throws Exception {
        Approvals approvals = approvals(dialect);
        Approval held = await(approvals.hold(request(ALICE, 1, MfaRule.NONE, 5)));

        ApprovalRefusedException tooMany = refusal(() -> approvals.decide(held.id(), CAROL, true, "ok",
                new Approvals.Grant(6, Duration.ofMinutes(5))));
        ApprovalRefusedException tooLong = refusal(() -> approvals.decide(held.id(), CAROL, true, "ok",
                new Approvals.Grant(2, Duration.ofMinutes(16))));
        ApprovalRefusedException withDenial = refusal(() -> approvals.decide(held.id(), CAROL, false, "no",
                new Approvals.Grant(2, Duration.ofMinutes(5))));
        Approval granted = approvals.decide(held.id(), CAROL, true, "two more, for five minutes",
                new Approvals.Grant(2, Duration.ofMinutes(5)));

        assertThat(tooMany.status()).isEqualTo(400);
        assertThat(tooMany.detail()).isEqualTo("approval " + held.id() + " may grant 1 to 5 uses, not 6");
        assertThat(tooLong.detail()).isEqualTo("approval " + held.id() + " may be granted for at most 15m, not 16m");
        assertThat(withDenial.title()).isEqualTo("Grant without approval");
        assertThat(granted.maxUses()).isEqualTo(2);
        assertThat(granted.grantExpiresAt()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
        assertThat(await(approvals.use(held.id(), ALICE, "openai", DIGEST, "rec-1")).verdict())
                .isEqualTo(UseResult.Verdict.GRANTED);
        assertThat(await(approvals.use(held.id(), ALICE, "openai", DIGEST, "rec-2")).verdict())
                .isEqualTo(UseResult.Verdict.GRANTED);
        assertThat(await(approvals.use(held.id(), ALICE, "openai", DIGEST, "rec-3")).verdict())
                .isEqualTo(UseResult.Verdict.USED);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void chargedUsesSpendAGrantUntilItIsUsedUpAndNeverBeyondItsMaximum(Dialect dialect) throws Exception {
        Approvals approvals = approvals(dialect);
        Approval held = await(approvals.hold(request(ALICE, 1, MfaRule.NONE, 100)));
        approvals.decide(held.id(), CAROL, true, "100 tokens", null);
        await(approvals.use(held.id(), ALICE, "openai", DIGEST, "rec-1"));

        await(approvals.charge(held.id(), 60));
        Approval afterSixtyOne = approvals.get(held.id()).orElseThrow();
        await(approvals.charge(held.id(), 60));
        Approval afterAll = approvals.get(held.id()).orElseThrow();

        assertThat(afterSixtyOne.uses()).isEqualTo(61);
        assertThat(afterSixtyOne.status()).isEqualTo(ApprovalStatus.APPROVED);
        assertThat(afterAll.uses()).isEqualTo(100);
        assertThat(afterAll.status()).isEqualTo(ApprovalStatus.USED);
        assertThat(await(approvals.use(held.id(), ALICE, "openai", DIGEST, "rec-2")).verdict())
                .isEqualTo(UseResult.Verdict.USED);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void pendingAndGrantedApprovalsSurviveARestart(Dialect dialect) throws Exception {
        Approvals before = approvals(dialect);
        Approval pending = await(before.hold(request(ALICE)));
        Approval granted = await(before.hold(request(ALICE)));
        before.decide(granted.id(), CAROL, true, "ok");
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        open.clear();
        stores.reopen();

        Approvals after = approvals(stores.store(), "r-after", QUIET);

        assertThat(await(after.use(granted.id(), ALICE, "openai", DIGEST, "rec-after")).verdict())
                .isEqualTo(UseResult.Verdict.GRANTED);
        assertThat(after.decide(pending.id(), DAVE, true, "after the restart").status())
                .isEqualTo(ApprovalStatus.APPROVED);
        assertThat(await(after.use(pending.id(), ALICE, "openai", DIGEST, "rec-after-2")).verdict())
                .isEqualTo(UseResult.Verdict.GRANTED);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void aWaiterIsReleasedByTheDecisionAndOtherwiseTimesOutWithNothing(Dialect dialect) throws Exception {
        Approvals approvals = approvals(dialect);
        Approval held = await(approvals.hold(request(ALICE)));
        Approval other = await(approvals.hold(request(ALICE)));

        CompletableFuture<Approval> waiting = approvals.awaitDecision(held.id(), Duration.ofSeconds(20));
        CompletableFuture<Approval> timingOut = approvals.awaitDecision(other.id(), Duration.ofMillis(300));
        assertThat(waiting).isNotDone();
        approvals.decide(held.id(), CAROL, true, "go");

        assertThat(await(waiting).status()).isEqualTo(ApprovalStatus.APPROVED);
        assertThat(await(timingOut)).isNull();
        assertThat(approvals.stats().waiting()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void aWaiterFailsWithAStoreExceptionWhenTheStoreGoesAway(Dialect dialect) throws Exception {
        Approvals approvals = approvals(dialect);
        Approval held = await(approvals.hold(request(ALICE)));
        CompletableFuture<Approval> waiting = approvals.awaitDecision(held.id(), Duration.ofSeconds(20));
        Thread.sleep(100);

        stores.store().close(); // every connection refused from now on

        assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(StoreException.class)
                .cause().hasMessageStartingWith("the approval store is unavailable: ");
        assertThatThrownBy(() -> await(approvals.hold(request(ALICE)))).hasRootCauseInstanceOf(java.sql.SQLException.class);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void everyStepIsAnApprovalEventOfTheAuditChainWithWhoDidItAndTheExchangesItConcerns(Dialect dialect)
            throws Exception {
        Approvals approvals = approvals(dialect);
        Approval held = await(approvals.hold(request(ALICE)));
        approvals.decide(held.id(), CAROL, true, "planned eval");
        await(approvals.use(held.id(), ALICE, "openai", DIGEST, "rec-used"));
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close(); // flushes the trail and seals it
        }
        open.clear();

        List<JsonNode> events = new ArrayList<>();
        List<String> users = new ArrayList<>();
        try (Connection c = stores.store().connection(); PreparedStatement ps = c.prepareStatement("SELECT payload,"
                + " username FROM audit_event WHERE event_type = 'approval' AND record_id = ? ORDER BY seq")) {
            ps.setString(1, held.id());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    events.add(CanonicalJson.parse(rs.getString(1)));
                    users.add(rs.getString(2));
                }
            }
        }
        assertThat(events).extracting(e -> e.path("event").asText()).containsExactly("requested", "approved", "used");
        assertThat(users).containsExactly("alice", "carol", "alice");
        assertThat(events.get(0).path("heldRequestId").asText()).isEqualTo(held.recordId());
        assertThat(events.get(1).path("reason").asText()).isEqualTo("planned eval");
        assertThat(events.get(2).path("requestId").asText()).isEqualTo("rec-used");
        assertThat(events.get(2).path("requestDigest").asText()).isEqualTo(DIGEST);
        try (Connection c = stores.store().connection()) {
            VerifyReport report = AuditVerifier.verify(c, TrustedKeys.none().withStoreKeys(c));
            assertThat(report.ok()).as(report.describe()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Dialect.class, names = "POSTGRESQL")
    void aDecisionOnAnotherReplicaReleasesAWaiterWithinASecondByNotification(Dialect dialect) throws Exception {
        // Polling every minute: only LISTEN/NOTIFY can release the waiter in time.
        Approvals[] replicas = twoReplicasListening(dialect);
        Approvals replicaA = replicas[0];
        Approvals replicaB = replicas[1];
        Approval held = await(replicaA.hold(request(ALICE)));
        CountDownLatch released = new CountDownLatch(1);
        long[] releasedAt = new long[1];
        replicaA.awaitDecision(held.id(), Duration.ofSeconds(30)).thenRun(() -> {
            releasedAt[0] = System.nanoTime();
            released.countDown();
        });

        long decidedAt = System.nanoTime();
        replicaB.decide(held.id(), CAROL, true, "from replica B");

        assertThat(released.await(5, TimeUnit.SECONDS)).isTrue();
        long millis = TimeUnit.NANOSECONDS.toMillis(releasedAt[0] - decidedAt);
        System.out.println("cross-replica release by NOTIFY: " + millis + " ms");
        assertThat(millis).isLessThan(1000);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void aWatcherHearsOfEveryChangeMadeOnThisReplicaUntilItStops(Dialect dialect) throws Exception {
        Approvals approvals = approvals(dialect);
        List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        Runnable stop = approvals.watch(heard::add);

        Approval held = await(approvals.hold(request(ALICE)));
        approvals.decide(held.id(), CAROL, true, "fine");
        stop.run();
        Approval other = await(approvals.hold(request(ALICE)));

        // held and approved, told at once; on PostgreSQL the replica's own notifications may come again
        assertThat(heard).containsOnly(held.id()).hasSizeGreaterThanOrEqualTo(2);
        assertThat(heard).doesNotContain(other.id());
    }

    @ParameterizedTest
    @EnumSource(value = Dialect.class, names = "POSTGRESQL")
    void aWatcherHearsOfARequestHeldOnAnotherReplicaByNotification(Dialect dialect) throws Exception {
        Approvals[] replicas = twoReplicasListening(dialect);
        Approvals replicaA = replicas[0];
        Approvals replicaB = replicas[1];
        java.util.concurrent.BlockingQueue<String> heardOnB = new java.util.concurrent.LinkedBlockingQueue<>();
        replicaB.watch(heardOnB::add);

        Approval held = await(replicaA.hold(request(ALICE)));

        assertThat(heardOnB.poll(10, TimeUnit.SECONDS)).isEqualTo(held.id());
    }

    /** Two replicas on one store, polling once a minute, both listening for the other's notifications. */
    private Approvals[] twoReplicasListening(Dialect dialect) throws Exception {
        stores = TestStores.create(dialect, temp);
        Approvals.Settings noPolling = new Approvals.Settings(Duration.ofMinutes(1), Duration.ofHours(1));
        Approvals replicaA = approvals(stores.store(), "r-a", noPolling);
        Store storeB = Store.open(stores.settings());
        open.add(storeB);
        Approvals replicaB = approvals(storeB, "r-b", noPolling);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(replicaA.notifiedAcrossReplicas() && replicaB.notifiedAcrossReplicas())
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return new Approvals[] {replicaA, replicaB};
    }

    private static long count(Store store, String sql) throws Exception {
        try (Connection c = store.connection(); PreparedStatement ps = c.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

}
