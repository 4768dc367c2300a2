package io.gatehouse.processors.policy;

import static io.gatehouse.processors.policy.Policies.caller;
import static io.gatehouse.processors.policy.Policies.groups;
import static io.gatehouse.processors.policy.Policies.policy;
import static io.gatehouse.processors.policy.Policies.rule;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.spi.ConfigFile;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.GatewayContext;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.ServiceUnavailableException;
import io.gatehouse.spi.ratelimit.BucketAnswer;
import io.gatehouse.spi.ratelimit.BucketLimit;
import io.gatehouse.spi.ratelimit.RateLimitBuckets;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.TestClock;
import io.gatehouse.testkit.TestExchange;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The policy step over the gateway's RateLimitBuckets service, as any plugin would use it: a fake here. */
class RateLimitServiceTest {

    private static final RateLimitConfig FIVE_A_MINUTE = new RateLimitConfig(RateLimitConfig.Per.IDENTITY, 5L, null,
            Duration.ofMinutes(1));
    private static final RateLimitConfig THOUSAND_TOKENS_AN_HOUR = new RateLimitConfig(RateLimitConfig.Per.GROUP, null,
            1000L, Duration.ofHours(1));

    private final TestClock clock = TestClock.atDefaultStart();

    /** Buckets that note each call and answer what the test says. */
    private static final class FakeBuckets implements RateLimitBuckets {
        final List<String> calls = new ArrayList<>();
        Function<String, CompletionStage<BucketAnswer>> answer = key -> CompletableFuture.completedFuture(
                BucketAnswer.GRANTED);

        @Override
        public CompletionStage<BucketAnswer> tryTake(String key, BucketLimit limit, long tokens) {
            calls.add("take " + tokens + " of " + limit.capacity() + "/" + limit.interval() + " from " + key);
            return answer.apply(key);
        }

        @Override
        public CompletionStage<BucketAnswer> check(String key, BucketLimit limit) {
            calls.add("check " + limit.capacity() + "/" + limit.interval() + " of " + key);
            return answer.apply(key);
        }

        @Override
        public CompletionStage<Void> charge(String key, BucketLimit limit, long tokens) {
            calls.add("charge " + tokens + " to " + key);
            return CompletableFuture.completedFuture(null);
        }
    }

    @Test
    void aRuleAsksTheGatewaysBucketsOnceForEachOfItsLimitsAndProceedsWhenAllGrant() {
        FakeBuckets buckets = new FakeBuckets();

        Outcome outcome = harness(buckets).request(chat());

        assertThat(outcome).isEqualTo(Outcome.proceed());
        assertThat(buckets.calls).containsExactly(
                "take 1 of 5/PT1M from shared/limited#0/i:https://idp.test|alice-id",
                "check 1000/PT1H of shared/limited#1/g:analysts");
    }

    @Test
    void theFirstLimitThatRefusesDecides429AndTheLaterOnesAreNotAsked() {
        FakeBuckets buckets = new FakeBuckets();
        buckets.answer = key -> CompletableFuture.completedFuture(BucketAnswer.refused(Duration.ofSeconds(12)));

        Outcome outcome = harness(buckets).request(chat());

        assertThat(outcome).isEqualTo(Outcome.deny(429, "Too many requests", "policy 'shared' rule 'limited' allows"
                        + " 5 requests per 1m per identity; retry in 12 s",
                new DecidingRule("shared", "limited", "5 requests per 1m per identity exceeded"))
                .withHeader("Retry-After", "12"));
        assertThat(buckets.calls).hasSize(1);
    }

    @Test
    void anOverloadedRateLimitServiceRefuses503NamingWhy() {
        FakeBuckets buckets = new FakeBuckets();
        buckets.answer = key -> CompletableFuture.failedFuture(
                new ServiceUnavailableException("the rate-limit store is overloaded"));

        Outcome outcome = harness(buckets).request(chat());

        assertThat(outcome).isEqualTo(Outcome.deny(503, "Rate limits unavailable", "the rate-limit store is"
                        + " overloaded, so the request was refused (fail closed)",
                new DecidingRule("shared", "limited", "the rate-limit store is overloaded"))
                .withHeader("Retry-After", "5"));
    }

    @Test
    void aServiceThatThrowsInsteadOfAnsweringStillFailsClosed() {
        FakeBuckets buckets = new FakeBuckets();
        buckets.answer = key -> {
            throw new IllegalStateException("bug in a plugin's buckets");
        };

        Outcome outcome = harness(buckets).request(chat());

        assertThat(outcome).isInstanceOf(Outcome.Deny.class);
        assertThat(((Outcome.Deny) outcome).status()).isEqualTo(503);
        assertThat(((Outcome.Deny) outcome).rule().reason()).isEqualTo("the rate-limit store cannot be reached");
    }

    @Test
    void theRequestWaitsForTheBucketsWithoutHoldingTheCallersThread() {
        FakeBuckets buckets = new FakeBuckets();
        CompletableFuture<BucketAnswer> later = new CompletableFuture<>();
        buckets.answer = key -> later;
        ProcessorHarness<PolicyConfig> harness = harness(buckets);
        TestExchange exchange = chat();

        CompletionStage<Outcome> outcome = harness.processor().onRequestAsync(exchange);

        assertThat(outcome.toCompletableFuture()).isNotDone();
        later.complete(BucketAnswer.GRANTED);
        assertThat(outcome.toCompletableFuture().join()).isEqualTo(Outcome.proceed());
    }

    private ProcessorHarness<PolicyConfig> harness(RateLimitBuckets buckets) {
        PolicyProcessorFactory factory = new PolicyProcessorFactory();
        PolicyFile file = policy("shared", groups("analysts"), rule("limited", Effect.ALLOW)
                .operations(OperationKind.CHAT).rate(FIVE_A_MINUTE).rate(THOUSAND_TOKENS_AN_HOUR));
        factory.configureDirectory(List.of(new ConfigFile<>("policies/shared.yaml", file, path -> new int[] {1, 1})),
                new GatewayContext(Path.of("/tmp"), clock, GatewayServices.of(Map.of(RateLimitBuckets.class, buckets)),
                        Map.of("openai", "openai")));
        return ProcessorHarness.builder(factory, PolicyConfig.defaults()).endpointId("openai").protocol("openai")
                .clock(clock).build();
    }

    private static TestExchange chat() {
        return TestExchange.post("/v1/chat/completions").endpointId("openai").identity(caller("alice", "analysts"))
                .body("{}").operation(new Operation("openai", OperationKind.CHAT, "demo-small", false, 1,
                        OptionalInt.of(10))).build();
    }
}
