package io.gatehouse.processors.policy;

import static io.gatehouse.processors.policy.Policies.caller;
import static io.gatehouse.processors.policy.Policies.groups;
import static io.gatehouse.processors.policy.Policies.policy;
import static io.gatehouse.processors.policy.Policies.rule;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.processors.recording.RecordingProcessor;
import io.gatehouse.spi.ConfigFile;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.GatewayContext;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.StandardAttributes;
import io.gatehouse.processors.support.MaskedAnswer;
import io.gatehouse.processors.support.ParsedAnswer;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.StreamResult;
import io.gatehouse.testkit.TestClock;
import io.gatehouse.testkit.TestExchange;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The policy step on fake exchanges: denials, rewrites, rates, quotas, field visibility, listings. */
class PolicyProcessorTest {

    private static final Identity ALICE = caller("alice", "analysts");
    private static final Identity BOB = caller("bob", "ml-engineers");

    private final TestClock clock = TestClock.atDefaultStart();
    private ProcessorHarness<PolicyConfig> harness;
    private ProcessorHarness<PolicyConfig> kserve;

    @BeforeEach
    void setUp() {
        PolicyProcessorFactory factory = new PolicyProcessorFactory();
        List<PolicyFile> policies = List.of(
                policy("analysts", groups("analysts"),
                        rule("list-models", Effect.ALLOW).operations(OperationKind.LIST_MODELS),
                        rule("chat-small", Effect.ALLOW).models("demo-small")
                                .operations(OperationKind.CHAT).limits(new RuleLimits(null, 2, 512, true,
                                        Duration.ofSeconds(60))).requestsPerMinute(60)
                                .hide("/usage", "/choices/*/logprobs"),
                        rule("embed-small", Effect.ALLOW).models("demo-small").operations(OperationKind.EMBEDDINGS)
                                .limits(8, null),
                        rule("classify", Effect.ALLOW).endpoints("triton").operations(OperationKind.INFER)
                                .outputs("label")),
                policy("ml-engineers", groups("ml-engineers"),
                        rule("inference", Effect.ALLOW).models("demo-*").operations(OperationKind.CHAT)
                                .rate(new RateLimitConfig(RateLimitConfig.Per.GROUP, null, 100L, Duration.ofHours(1)))
                                .limits(new RuleLimits(null, null, null, false, null)),
                        rule("batch-jobs", Effect.REQUIRE_APPROVAL).operations(OperationKind.BATCH_CREATE)
                                .approvers("ml-leads"),
                        rule("list-models", Effect.ALLOW).operations(OperationKind.LIST_MODELS)));
        List<ConfigFile<?>> files = policies.stream().<ConfigFile<?>>map(p -> new ConfigFile<>("policies/" + p.name()
                + ".yaml", p, path -> new int[] {1, 1})).toList();
        factory.configureDirectory(files, new GatewayContext(Path.of("/tmp"), clock, GatewayServices.none(),
                Map.of("openai", "openai", "triton", "kserve-v2")));
        harness = ProcessorHarness.builder(factory, PolicyConfig.defaults()).endpointId("openai").protocol("openai")
                .clock(clock).build();
        kserve = ProcessorHarness.builder(factory, PolicyConfig.defaults()).endpointId("triton").protocol("kserve-v2")
                .clock(clock).build();
    }

    private static TestExchange chat(Identity who, String body, int batch, Integer maxTokens, boolean stream) {
        return TestExchange.post("/v1/chat/completions").endpointId("openai").identity(who).body(body)
                .operation(new Operation("openai", OperationKind.CHAT, "demo-small", stream, batch,
                        maxTokens == null ? OptionalInt.empty() : OptionalInt.of(maxTokens)))
                .build();
    }

    @Test
    void aDenialNamesThePolicyTheRuleAndTheReasonIn403() {
        TestExchange embed = TestExchange.post("/v1/embeddings").endpointId("openai").identity(ALICE)
                .operation(new Operation("openai", OperationKind.EMBEDDINGS, "demo-small", false, 16, OptionalInt.empty()))
                .body("{}").build();

        Outcome outcome = harness.request(embed);

        assertThat(outcome).isEqualTo(Outcome.deny(403, "Forbidden by policy",
                "policy 'analysts' rule 'embed-small' refuses this request: batch 16 > 8",
                new DecidingRule("analysts", "embed-small", "batch 16 > 8")));
    }

    @Test
    void aRequestWithoutAnOutputCapGetsTheRulesCapWrittenIntoItsBody() {
        TestExchange exchange = chat(ALICE, "{\"model\":\"demo-small\",\"messages\":[]}", 1, null, false);

        assertThat(harness.request(exchange)).isEqualTo(Outcome.proceed());

        assertThat(new String(exchange.request().body(), StandardCharsets.UTF_8))
                .isEqualTo("{\"model\":\"demo-small\",\"messages\":[],\"max_tokens\":512}");
        assertThat(exchange.attributes().get(RecordingProcessor.POLICY_DECISION)).contains(new DecidingRule("analysts",
                "chat-small", "allowed: chat on model 'demo-small' at endpoint 'openai'"));
    }

    @Test
    void aStreamedRequestGetsAShorterDeadlineFromMaxStreamDuration() {
        TestExchange exchange = chat(ALICE, "{\"model\":\"demo-small\",\"stream\":true}", 1, 100, true);

        harness.request(exchange);

        assertThat(exchange.attributes().get(StandardAttributes.DEADLINE)).contains(clock.instant().plusSeconds(60));
    }

    @Test
    void theSixtyFirstRequestInAMinuteIs429WithRetryAfterAndTheBudgetRefillsWhenTheMinuteEnds() {
        for (int i = 0; i < 60; i++) {
            assertThat(harness.request(chat(ALICE, "{}", 1, 10, false))).as("request %d", i + 1)
                    .isEqualTo(Outcome.proceed());
        }
        assertThat(harness.request(chat(BOB, "{}", 1, 10, false))).as("another caller").isEqualTo(Outcome.proceed());

        Outcome sixtyFirst = harness.request(chat(ALICE, "{}", 1, 10, false));

        assertThat(sixtyFirst).isEqualTo(Outcome.deny(429, "Too many requests", "policy 'analysts' rule 'chat-small'"
                        + " allows 60 requests per 1m per identity; retry in 60 s",
                new DecidingRule("analysts", "chat-small", "60 requests per 1m per identity exceeded"))
                .withHeader("Retry-After", "60"));
        clock.advance(Duration.ofSeconds(59));
        assertThat(harness.request(chat(ALICE, "{}", 1, 10, false))).isInstanceOf(Outcome.Deny.class);
        clock.advance(Duration.ofSeconds(1));
        assertThat(harness.request(chat(ALICE, "{}", 1, 10, false))).isEqualTo(Outcome.proceed());
    }

    @Test
    void aTokenQuotaIsChargedFromTheAnswersUsageAndRefusesOnceSpent() {
        TestExchange first = chat(BOB, "{}", 1, 10, false);
        assertThat(harness.request(first)).isEqualTo(Outcome.proceed());
        harness.respond(first, 200, json(), "{\"choices\":[],\"usage\":{\"total_tokens\":150}}".getBytes());

        Outcome second = harness.request(chat(caller("bea", "ml-engineers"), "{}", 1, 10, false));

        assertThat(second).isInstanceOf(Outcome.Deny.class);
        Outcome.Deny deny = (Outcome.Deny) second;
        assertThat(deny.status()).isEqualTo(429);
        assertThat(deny.rule()).isEqualTo(new DecidingRule("ml-engineers", "inference",
                "100 tokens per 1h per group exceeded"));
        assertThat(deny.headers().get("Retry-After")).isEqualTo("3600"); // 150 used of 100: the next hour's refill brings it to 50
    }

    @Test
    void streamingIsRefusedWhereTheRuleSaysSo() {
        Outcome outcome = harness.request(chat(BOB, "{}", 1, 10, true));

        assertThat(outcome).isEqualTo(Outcome.deny(403, "Forbidden by policy",
                "policy 'ml-engineers' rule 'inference' refuses this request: streaming is not allowed",
                new DecidingRule("ml-engineers", "inference", "streaming is not allowed")));
    }

    @Test
    void aRequireApprovalDecisionIsHandedToTheApprovalStep() {
        TestExchange batch = TestExchange.post("/v1/batches").endpointId("openai").identity(BOB).body("{}")
                .operation(new Operation("openai", OperationKind.BATCH_CREATE, null, false, 1, OptionalInt.empty()))
                .build();

        assertThat(harness.request(batch)).isEqualTo(Outcome.proceed());

        var required = batch.attributes().get(StandardAttributes.APPROVAL_REQUIRED).orElseThrow();
        assertThat(required.rule()).isEqualTo(new DecidingRule("ml-engineers", "batch-jobs",
                "requires an approval: batch-create at endpoint 'openai'"));
        assertThat(required.approverGroups()).containsExactly("ml-leads");
    }

    @Test
    void hiddenFieldsLeaveAWholeAnswer() {
        TestExchange exchange = chat(ALICE, "{}", 1, 10, false);
        harness.request(exchange);

        byte[] body = harness.respond(exchange, 200, json(), ("{\"id\":\"c1\",\"choices\":[{\"index\":0,\"message\":"
                + "{\"content\":\"hi\"},\"logprobs\":{\"content\":[]}}],\"usage\":{\"total_tokens\":7}}").getBytes());

        assertThat(new String(body, StandardCharsets.UTF_8))
                .isEqualTo("{\"id\":\"c1\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"hi\"}}]}");
    }

    @Test
    void hiddenFieldsAreRemovedFromTheTreeAnEarlierStepReadFromTheSameBytes() throws Exception {
        TestExchange exchange = chat(ALICE, "{}", 1, 10, false);
        harness.request(exchange);
        byte[] answer = "{\"id\":\"c1\",\"score\":0.10,\"usage\":{\"total_tokens\":7}}".getBytes(StandardCharsets.UTF_8);
        // As masking hands it on: decimals read exactly, so "0.10" keeps its digits (a plain parse makes it 0.1).
        com.fasterxml.jackson.databind.JsonNode tree = com.fasterxml.jackson.databind.json.JsonMapper.builder()
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .disable(com.fasterxml.jackson.databind.cfg.JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
                .build().readTree(answer);
        ParsedAnswer.of(exchange.attributes()).offer(answer, tree);

        byte[] body = harness.respond(exchange, 200, json(), answer.clone());

        assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"c1\",\"score\":0.10}");
    }

    @Test
    void aMaskedAnswerWhoseFieldsAreHiddenIsHandedOnAsMaskedStillAndOtherBytesAreNot() {
        byte[] answer = ("{\"id\":\"c1\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"[EMAIL]\"}}],"
                + "\"usage\":{\"total_tokens\":7}}").getBytes(StandardCharsets.UTF_8);
        byte[] hidden = "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"[EMAIL]\"}}]}"
                .getBytes(StandardCharsets.UTF_8);

        TestExchange exchange = chat(ALICE, "{}", 1, 10, false);
        harness.request(exchange);
        MaskedAnswer.offer(exchange.attributes(), answer, "rules", true);
        byte[] body = harness.respond(exchange, 200, json(), answer.clone());

        assertThat(body).isEqualTo(hidden);
        assertThat(MaskedAnswer.of(exchange.attributes()).maskedAs(hidden, "rules")).isTrue();

        TestExchange other = chat(ALICE, "{}", 1, 10, false);
        harness.request(other);
        MaskedAnswer.offer(other.attributes(), "{\"id\":\"c0\"}".getBytes(StandardCharsets.UTF_8), "rules", true);
        harness.respond(other, 200, json(), answer.clone());

        assertThat(MaskedAnswer.of(other.attributes()).maskedAs(hidden, "rules")).isFalse();
    }

    @Test
    void aTreeOfferedForOtherBytesIsNotUsedAndTheAnswerIsReadAsItArrived() throws Exception {
        TestExchange exchange = chat(ALICE, "{}", 1, 10, false);
        harness.request(exchange);
        byte[] offered = "{\"id\":\"stale\",\"usage\":{\"total_tokens\":7}}".getBytes(StandardCharsets.UTF_8);
        ParsedAnswer.of(exchange.attributes()).offer(offered,
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(offered));

        byte[] body = harness.respond(exchange, 200, json(),
                "{\"id\":\"c2\",\"usage\":{\"total_tokens\":9}}".getBytes(StandardCharsets.UTF_8));

        assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"c2\"}");
    }

    @Test
    void hiddenFieldsLeaveEverySseChunkEvenWhenAnEventIsSplitAcrossChunks() {
        TestExchange exchange = chat(ALICE, "{}", 1, 10, true);
        harness.request(exchange);
        String events = "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"},\"logprobs\":{\"content\":[1]}}]}\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"},\"logprobs\":null}],\"usage\":null}\r\n\r\n"
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"total_tokens\":5}}\n\n"
                + "data: [DONE]\n\n";
        byte[] all = events.getBytes(StandardCharsets.UTF_8);
        List<byte[]> chunks = List.of(java.util.Arrays.copyOfRange(all, 0, 30), java.util.Arrays.copyOfRange(all, 30, 101),
                java.util.Arrays.copyOfRange(all, 101, all.length));

        StreamResult result = harness.respondStream(exchange, 200, new Headers().set("Content-Type",
                "text/event-stream"), chunks);

        assertThat(result.error()).isEmpty();
        assertThat(result.text()).isEqualTo("data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n"
                + "data: {\"choices\":[]}\n\n"
                + "data: [DONE]\n\n");
    }

    @Test
    void hiddenFieldsLeaveEveryLineOfAnNdjsonStream() {
        TestExchange exchange = chat(ALICE, "{}", 1, 10, true);
        harness.request(exchange);
        List<byte[]> chunks = List.of("{\"message\":{\"content\":\"He\"},\"usage\":{\"x\":1},\"done\":false}\n{\"mess"
                .getBytes(StandardCharsets.UTF_8), "age\":{\"content\":\"y\"},\"done\":true,\"usage\":2}\n"
                .getBytes(StandardCharsets.UTF_8));

        StreamResult result = harness.respondStream(exchange, 200, new Headers().set("Content-Type",
                "application/x-ndjson"), chunks);

        assertThat(result.texts()).containsExactly("{\"message\":{\"content\":\"He\"},\"done\":false}\n",
                "{\"message\":{\"content\":\"y\"},\"done\":true}\n");
    }

    @Test
    void anAnswerThatIsNotJsonWhereFieldsMustBeHiddenIsCut() {
        TestExchange exchange = chat(ALICE, "{}", 1, 10, false);
        harness.request(exchange);

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> harness.respond(exchange, 200, json(),
                        "usage: 5 tokens".getBytes()))
                .hasMessage("the answer is not JSON, so the fields this caller may not see cannot be removed; it was cut");
    }

    @Test
    void aModelListingShowsOnlyTheModelsTheCallerMayUse() {
        TestExchange list = TestExchange.get("/v1/models").endpointId("openai").identity(ALICE)
                .operation(new Operation("openai", OperationKind.LIST_MODELS, null, false, 0, OptionalInt.empty()))
                .build();
        assertThat(harness.request(list)).isEqualTo(Outcome.proceed());

        byte[] body = harness.respond(list, 200, json(), ("{\"object\":\"list\",\"data\":[{\"id\":\"demo-small\"},"
                + "{\"id\":\"demo-large\"},{\"id\":\"secret-model\"}]}").getBytes());

        assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo("{\"object\":\"list\",\"data\":[{\"id\":"
                + "\"demo-small\"}]}");
    }

    @Test
    void kserveOutputsTheCallerMayNotSeeLeaveTheRequestAndTheAnswer() {
        TestExchange infer = TestExchange.post("/v2/models/resnet/infer").endpointId("triton").identity(ALICE)
                .operation(new Operation("kserve-v2", OperationKind.INFER, "resnet", false, 1, OptionalInt.empty()))
                .body("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}],"
                        + "\"outputs\":[{\"name\":\"label\"},{\"name\":\"embedding\"}]}").build();
        assertThat(kserve.request(infer)).isEqualTo(Outcome.proceed());
        assertThat(new String(infer.request().body(), StandardCharsets.UTF_8)).endsWith("\"outputs\":[{\"name\":\"label\"}]}");

        byte[] body = kserve.respond(infer, 200, json(), ("{\"model_name\":\"resnet\",\"outputs\":[{\"name\":\"label\","
                + "\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"cat\"]},{\"name\":\"embedding\",\"shape\":[2],"
                + "\"datatype\":\"FP32\",\"data\":[0.1,0.2]}]}").getBytes());

        assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo("{\"model_name\":\"resnet\",\"outputs\":[{"
                + "\"name\":\"label\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"cat\"]}]}");
    }

    @Test
    void aRequestAskingOnlyForHiddenOutputsIsRefused() {
        TestExchange infer = TestExchange.post("/v2/models/resnet/infer").endpointId("triton").identity(ALICE)
                .operation(new Operation("kserve-v2", OperationKind.INFER, "resnet", false, 1, OptionalInt.empty()))
                .body("{\"inputs\":[],\"outputs\":[{\"name\":\"embedding\"}]}").build();

        assertThat(kserve.request(infer)).isEqualTo(Outcome.deny(403, "Forbidden by policy",
                "policy 'analysts' rule 'classify' refuses this request: every output the request names is hidden from"
                        + " this caller (visible: [label])",
                new DecidingRule("analysts", "classify", "every output the request names is hidden from this caller"
                        + " (visible: [label])")));
    }

    @Test
    void anExplainedRequestLeavesItsTrailAndTakesNoRateBudget() {
        for (int i = 0; i < 70; i++) {
            TestExchange exchange = chat(ALICE, "{}", 1, 10, false);
            exchange.attributes().put(PolicyProcessor.EXPLAIN, true);
            assertThat(harness.request(exchange)).isEqualTo(Outcome.proceed());
            if (i == 0) {
                assertThat(exchange.attributes().get(PolicyProcessor.TRAIL).orElseThrow()).startsWith(
                        "analysts/list-models (allow): skipped: operation chat is not in [list-models]\n"
                                + "analysts/chat-small (allow): matched, within its limits");
            }
        }
        assertThat(harness.request(chat(ALICE, "{}", 1, 10, false))).isEqualTo(Outcome.proceed());
    }

    @Test
    void aStepBeforeAnyAuthStepDeniesAndSaysWhy() {
        TestExchange anonymous = TestExchange.post("/v1/chat/completions").endpointId("openai").body("{}")
                .operation(new Operation("openai", OperationKind.CHAT, "demo-small", false, 1, OptionalInt.empty()))
                .build();

        Outcome.Deny deny = (Outcome.Deny) harness.request(anonymous);

        assertThat(deny.detail()).isEqualTo("no policy rule allows this request: no policy applies to an unidentified"
                + " caller (no verified caller: the policy step must come after an auth step)");
    }

    private static Headers json() {
        return new Headers().set("Content-Type", "application/json");
    }
}
