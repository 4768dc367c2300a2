package io.gatehouse.processors.policy;

import static io.gatehouse.processors.policy.Policies.caller;
import static io.gatehouse.processors.policy.Policies.chat;
import static io.gatehouse.processors.policy.Policies.client;
import static io.gatehouse.processors.policy.Policies.groups;
import static io.gatehouse.processors.policy.Policies.policy;
import static io.gatehouse.processors.policy.Policies.request;
import static io.gatehouse.processors.policy.Policies.rule;
import static io.gatehouse.spi.OperationKind.BATCH_CREATE;
import static io.gatehouse.spi.OperationKind.CHAT;
import static io.gatehouse.spi.OperationKind.COMPLETION;
import static io.gatehouse.spi.OperationKind.EMBEDDINGS;
import static io.gatehouse.spi.OperationKind.LIST_MODELS;
import static io.gatehouse.spi.OperationKind.MODEL_ADMIN;
import static io.gatehouse.spi.OperationKind.MODEL_LOAD;
import static io.gatehouse.spi.OperationKind.RAW;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.processors.policy.Decision.Verdict;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.OperationKind;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Identity × request → decision, deciding rule and reason, over a policy set shaped like the demo's. */
class PolicyDecisionTableTest {

    static final PolicySet POLICIES = PolicySet.of(List.of(
            policy("analysts", groups("analysts"),
                    rule("list-models", Effect.ALLOW).operations(LIST_MODELS),
                    rule("chat-small", Effect.ALLOW).endpoints("openai").models("demo-small")
                            .operations(CHAT, COMPLETION).limits(2, 512).requestsPerMinute(60)
                            .hide("/usage", "/choices/*/logprobs"),
                    rule("embed-small", Effect.ALLOW).endpoints("openai").models("demo-small")
                            .operations(EMBEDDINGS).limits(8, null)),
            policy("auditors", groups("auditors"),
                    rule("no-model-access", Effect.DENY).description("auditors read recordings; they do not call models")),
            policy("ci", new AppliesTo(null, null, Set.of("ci-pipeline"), null),
                    rule("nightly-embeddings", Effect.ALLOW).models("demo-*").operations(EMBEDDINGS)
                            .when("request.headers['x-job'] == 'nightly'")),
            policy("ml-engineers", groups("ml-engineers"),
                    rule("inference", Effect.ALLOW).models("demo-*").operations(CHAT, COMPLETION, EMBEDDINGS)
                            .when("operation.model != 'demo-large' || operation.batch <= 16").limits(64, 4096),
                    rule("batch-jobs", Effect.REQUIRE_APPROVAL).operations(BATCH_CREATE).approvers("ml-leads")),
            policy("ml-leads", groups("ml-leads"),
                    rule("model-admin", Effect.REQUIRE_APPROVAL).operations(MODEL_LOAD, MODEL_ADMIN)
                            .when("'otp' in identity.amr").approvers("ml-leads"),
                    rule("everything", Effect.ALLOW)),
            policy("operators", new AppliesTo(null, Set.of("operator"), null, null),
                    rule("health", Effect.ALLOW).operations(RAW).methods("GET").paths("/v1/health", "/v2/**"),
                    rule("broken-claim", Effect.ALLOW).operations(COMPLETION).when("identity.claims.team == 'ops'"))));

    static final Identity ALICE = caller("alice", "analysts");
    static final Identity BOB = caller("bob", "ml-engineers");
    static final Identity CAROL = caller("carol", "ml-leads");
    static final Identity DAVE = caller("dave", "auditors");
    static final Identity ERIN = caller("erin", "analysts", "auditors");
    static final Identity MALLORY = caller("mallory", "interns");
    static final Identity CI = client("ci-pipeline");
    static final Identity OPERATOR = client("ops-console", "operator");

    static Stream<Arguments> table() {
        return Stream.of(
                row(ALICE, chat("demo-small", 1, 256), Verdict.ALLOW, "analysts", "chat-small",
                        "allowed: chat on model 'demo-small' at endpoint 'openai'"),
                row(ALICE, chat("demo-small", 2, 512), Verdict.ALLOW, "analysts", "chat-small",
                        "allowed: chat on model 'demo-small' at endpoint 'openai'"),
                row(ALICE, chat("demo-small", 3, null), Verdict.DENY, "analysts", "chat-small", "batch 3 > 2"),
                row(ALICE, chat("demo-small", 1, 1024), Verdict.DENY, "analysts", "chat-small", "max_tokens 1024 > 512"),
                row(ALICE, chat("demo-large", 1, null), Verdict.DENY, "default", "default-deny",
                        "no rule of policy analysts allows chat on model 'demo-large' at endpoint 'openai'"),
                row(ALICE, request("openai", "POST", "/v1/embeddings", EMBEDDINGS, "demo-small", 16, null, false),
                        Verdict.DENY, "analysts", "embed-small", "batch 16 > 8"),
                row(ALICE, request("openai", "POST", "/v1/embeddings", EMBEDDINGS, "demo-small", 8, null, false),
                        Verdict.ALLOW, "analysts", "embed-small",
                        "allowed: embeddings on model 'demo-small' at endpoint 'openai'"),
                row(ALICE, request("other", "POST", "/v1/chat/completions", CHAT, "demo-small", 1, null, false),
                        Verdict.DENY, "default", "default-deny",
                        "no rule of policy analysts allows chat on model 'demo-small' at endpoint 'other'"),
                row(ALICE, request("openai", "GET", "/v1/models", LIST_MODELS, null, 0, null, false), Verdict.ALLOW,
                        "analysts", "list-models", "allowed: list-models at endpoint 'openai'"),
                row(ALICE, request("openai", "POST", "/v1/load_lora_adapter", MODEL_LOAD, "demo-small", 1, null, false),
                        Verdict.DENY, "default", "default-deny",
                        "no rule of policy analysts allows model-load on model 'demo-small' at endpoint 'openai'"),
                row(BOB, chat("demo-large", 16, 4096), Verdict.ALLOW, "ml-engineers", "inference",
                        "allowed: chat on model 'demo-large' at endpoint 'openai'"),
                row(BOB, chat("demo-large", 17, null), Verdict.DENY, "default", "default-deny",
                        "no rule of policy ml-engineers allows chat on model 'demo-large' at endpoint 'openai'"),
                row(BOB, request("openai", "POST", "/v1/embeddings", EMBEDDINGS, "demo-small", 16, null, false),
                        Verdict.ALLOW, "ml-engineers", "inference",
                        "allowed: embeddings on model 'demo-small' at endpoint 'openai'"),
                row(BOB, request("openai", "POST", "/v1/batches", BATCH_CREATE, null, 1, null, false),
                        Verdict.REQUIRE_APPROVAL, "ml-engineers", "batch-jobs",
                        "requires an approval: batch-create at endpoint 'openai'"),
                row(BOB, request("openai", "POST", "/models/load", MODEL_LOAD, "demo-small", 1, null, false),
                        Verdict.DENY, "default", "default-deny",
                        "no rule of policy ml-engineers allows model-load on model 'demo-small' at endpoint 'openai'"),
                row(CAROL, request("openai", "POST", "/models/load", MODEL_LOAD, "demo-small", 1, null, false),
                        Verdict.DENY, "default", "default-deny",
                        "no rule of policy ml-leads allows model-load on model 'demo-small' at endpoint 'openai'"),
                row(withOtp(CAROL), request("openai", "POST", "/models/load", MODEL_LOAD, "demo-small", 1, null, false),
                        Verdict.REQUIRE_APPROVAL, "ml-leads", "model-admin",
                        "requires an approval: model-load on model 'demo-small' at endpoint 'openai'"),
                row(CAROL, chat("any-model", 100, 100_000), Verdict.ALLOW, "ml-leads", "everything",
                        "allowed: chat on model 'any-model' at endpoint 'openai'"),
                row(DAVE, chat("demo-small", 1, null), Verdict.DENY, "auditors", "no-model-access",
                        "auditors read recordings; they do not call models"),
                row(ERIN, chat("demo-small", 1, null), Verdict.DENY, "auditors", "no-model-access",
                        "auditors read recordings; they do not call models"),
                row(MALLORY, chat("demo-small", 1, null), Verdict.DENY, "default", "default-deny",
                        "no policy applies to 'mallory' (groups [interns])"),
                row(null, chat("demo-small", 1, null), Verdict.DENY, "default", "default-deny",
                        "no policy applies to an unidentified caller"),
                row(CI, withHeader(request("openai", "POST", "/v1/embeddings", EMBEDDINGS, "demo-large", 50, null,
                        false), "x-job", "nightly"), Verdict.ALLOW, "ci", "nightly-embeddings",
                        "allowed: embeddings on model 'demo-large' at endpoint 'openai'"),
                row(CI, request("openai", "POST", "/v1/embeddings", EMBEDDINGS, "demo-large", 50, null, false),
                        Verdict.DENY, "ci", "nightly-embeddings",
                        "condition could not be evaluated (no such key: x-job), so"
                                + " the request is denied (fail closed)"),
                row(OPERATOR, request("openai", "GET", "/v2/health/ready", RAW, null, 1, null, false), Verdict.ALLOW,
                        "operators", "health", "allowed: raw at endpoint 'openai'"),
                row(OPERATOR, request("openai", "POST", "/v2/health/ready", RAW, null, 1, null, false), Verdict.DENY,
                        "default", "default-deny", "no rule of policy operators allows raw at endpoint 'openai'"),
                row(OPERATOR, request("openai", "GET", "/v1/healthz", RAW, null, 1, null, false), Verdict.DENY,
                        "default", "default-deny", "no rule of policy operators allows raw at endpoint 'openai'"),
                row(OPERATOR, request("openai", "POST", "/v1/completions", COMPLETION, "m", 1, null, false),
                        Verdict.DENY, "operators", "broken-claim",
                        "condition could not be evaluated (key 'team' is not present in map), so"
                                + " the request is denied (fail closed)"));
    }

    @ParameterizedTest(name = "[{index}] {0}: {1} -> {2} {3}/{4}")
    @MethodSource("table")
    void eachCallerAndRequestGetsTheDecisionOfTheTable(Identity who, RequestFacts request, Verdict verdict,
                                                        String policy, String rule, String reason) {
        Decision decision = POLICIES.decide(who, request);

        assertThat(decision.verdict()).isEqualTo(verdict);
        assertThat(decision.rule().policy()).isEqualTo(policy);
        assertThat(decision.rule().rule()).isEqualTo(rule);
        assertThat(decision.rule().reason()).isEqualTo(reason);
        assertThat(POLICIES.explain(who, request).verdict()).as("explain agrees").isEqualTo(verdict);
    }

    @Test
    void theTrailListsEveryRuleConsideredInOrderWithWhyItDidNotApply() {
        Decision decision = POLICIES.explain(ERIN, request("openai", "POST", "/v1/embeddings", EMBEDDINGS, "demo-small",
                16, null, false));

        assertThat(decision.trail()).containsExactly(
                "analysts/list-models (allow): skipped: operation embeddings is not in [list-models]",
                "analysts/chat-small (allow): skipped: operation embeddings is not in [chat, completion]",
                "analysts/embed-small (allow): matched, but refused: batch 16 > 8",
                "auditors/no-model-access (deny): matched",
                "policy ci: does not apply (it applies to clients [ci-pipeline])",
                "policy ml-engineers: does not apply (it applies to groups [ml-engineers])",
                "policy ml-leads: does not apply (it applies to groups [ml-leads])",
                "policy operators: does not apply (it applies to roles [operator])");
        assertThat(decision.rule().rule()).isEqualTo("no-model-access");
    }

    @Test
    void theTrailNamesAFalseConditionAndAModelAdminOperationThatNeedsARuleNamingIt() {
        Decision decision = POLICIES.explain(CAROL, request("openai", "POST", "/models/load", MODEL_LOAD, "demo-small",
                1, null, false));

        assertThat(decision.trail()).contains(
                "ml-leads/model-admin (require-approval): skipped: condition is false: 'otp' in identity.amr",
                "ml-leads/everything (allow): skipped: operation model-load matches only rules that name it in"
                        + " operations");
    }

    @Test
    void modelListingsKeepOnlyTheModelsACallerMayUse() {
        RequestFacts listing = request("openai", "GET", "/v1/models", LIST_MODELS, null, 0, null, false);
        Set<OperationKind> uses = Set.of(CHAT, COMPLETION, EMBEDDINGS);

        assertThat(List.of("demo-small", "demo-large", "other").stream()
                .filter(m -> POLICIES.mayUse(ALICE, listing, m, uses))).containsExactly("demo-small");
        assertThat(List.of("demo-small", "demo-large", "other").stream()
                .filter(m -> POLICIES.mayUse(BOB, listing, m, uses))).containsExactly("demo-small", "demo-large");
        assertThat(List.of("demo-small", "demo-large").stream()
                .filter(m -> POLICIES.mayUse(DAVE, listing, m, uses))).isEmpty();
    }

    private static Identity withOtp(Identity who) {
        return new Identity(who.subject(), who.username(), who.issuer(), who.clientId(), who.groups(), who.roles(),
                who.acr(), List.of("pwd", "otp"), who.issuedAt(), who.authTime(), who.expiresAt(), who.sessionId(),
                who.claims());
    }

    private static RequestFacts withHeader(RequestFacts f, String name, String value) {
        return new RequestFacts(f.endpoint(), f.method(), f.path(), f.query(), java.util.Map.of(name, value),
                f.bodyBytes(), f.clientIp(), f.operation(), f.time());
    }

    private static Arguments row(Identity who, RequestFacts request, Verdict verdict, String policy, String rule,
                                 String reason) {
        return Arguments.of(who, request, verdict, policy, rule, reason);
    }
}
