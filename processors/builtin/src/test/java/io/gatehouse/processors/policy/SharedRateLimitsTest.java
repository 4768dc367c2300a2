package io.gatehouse.processors.policy;

import static io.gatehouse.processors.policy.Policies.caller;
import static io.gatehouse.processors.policy.Policies.groups;
import static io.gatehouse.processors.policy.Policies.policy;
import static io.gatehouse.processors.policy.Policies.rule;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.spi.ConfigFile;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayContext;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.ratelimit.RateLimitBuckets;
import io.gatehouse.store.Store;
import io.gatehouse.store.StoreSettings;
import io.gatehouse.store.ratelimit.PostgresRateLimitBuckets;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.TestClock;
import io.gatehouse.testkit.TestExchange;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two replicas' policy steps on one PostgreSQL store (a fresh database on 127.0.0.1:5432) share one budget,
 * through the {@link RateLimitBuckets} the gateway offers them; without that service a step keeps its
 * buckets in its own process.
 */
class SharedRateLimitsTest {

    private static final String ADMIN_URL = System.getProperty("gatehouse.test.postgres",
            "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres");
    private static final String DATABASE = "gatehouse_policy_" + UUID.randomUUID().toString().replace("-", "")
            .substring(0, 12);
    private static final Identity ALICE = caller("alice", "analysts");
    private static final Identity BOB = caller("bob", "analysts");
    private static Store store;

    private final TestClock clock = TestClock.atDefaultStart();

    @BeforeAll
    static void createDatabase() throws Exception {
        try (Connection c = DriverManager.getConnection(ADMIN_URL); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + DATABASE);
        }
        store = Store.open(new StoreSettings(ADMIN_URL.replace("/postgres?", "/" + DATABASE + "?"), null, null, 4));
    }

    @AfterAll
    static void dropDatabase() throws Exception {
        if (store != null) {
            store.close();
        }
        try (Connection c = DriverManager.getConnection(ADMIN_URL); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
        }
    }

    @Test
    void twoReplicasShareOneRequestBudgetThroughPostgresql() {
        RateLimitConfig limit = new RateLimitConfig(RateLimitConfig.Per.IDENTITY, 5L, null, Duration.ofMinutes(1));
        try (PostgresRateLimitBuckets bucketsA = PostgresRateLimitBuckets.open(store, clock);
             PostgresRateLimitBuckets bucketsB = PostgresRateLimitBuckets.open(store, clock)) {
            ProcessorHarness<PolicyConfig> replicaA = replica("requests", limit, bucketsA);
            ProcessorHarness<PolicyConfig> replicaB = replica("requests", limit, bucketsB);

            for (int i = 0; i < 5; i++) {
                assertThat((i % 2 == 0 ? replicaA : replicaB).request(chat(ALICE))).as("request %d", i + 1)
                        .isEqualTo(Outcome.proceed());
            }

            Outcome sixth = replicaA.request(chat(ALICE));
            assertThat(sixth).isEqualTo(Outcome.deny(429, "Too many requests", "policy 'shared' rule 'requests'"
                            + " allows 5 requests per 1m per identity; retry in 60 s",
                    new DecidingRule("shared", "requests", "5 requests per 1m per identity exceeded"))
                    .withHeader("Retry-After", "60"));
            assertThat(replicaB.request(chat(ALICE))).isInstanceOf(Outcome.Deny.class);
            assertThat(replicaB.request(chat(BOB))).as("another caller").isEqualTo(Outcome.proceed());
            clock.advance(Duration.ofSeconds(60));
            assertThat(replicaB.request(chat(ALICE))).isEqualTo(Outcome.proceed());
        }
    }

    @Test
    void tokensChargedOnOneReplicaSpendTheQuotaOfTheOther() throws Exception {
        RateLimitConfig quota = new RateLimitConfig(RateLimitConfig.Per.GROUP, null, 1000L, Duration.ofHours(1));
        try (PostgresRateLimitBuckets bucketsA = PostgresRateLimitBuckets.open(store, clock);
             PostgresRateLimitBuckets bucketsB = PostgresRateLimitBuckets.open(store, clock)) {
            ProcessorHarness<PolicyConfig> replicaA = replica("tokens", quota, bucketsA);
            ProcessorHarness<PolicyConfig> replicaB = replica("tokens", quota, bucketsB);
            TestExchange first = chat(ALICE);
            assertThat(replicaA.request(first)).isEqualTo(Outcome.proceed());

            replicaA.respond(first, 200, new Headers().set("Content-Type", "application/json"),
                    "{\"choices\":[],\"usage\":{\"total_tokens\":1200}}".getBytes());

            Outcome.Deny refused = awaitDenial(replicaB, chat(BOB));
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.headers().get("Retry-After")).isEqualTo("3600"); // -200 until the hour's refill
        }
    }

    @Test
    void theStepTakesFromTheGatewaysSharedBucketsWhenOfferedAndKeepsItsOwnOtherwise() {
        try (PostgresRateLimitBuckets shared = PostgresRateLimitBuckets.open(store, clock)) {
            assertThat(processor(GatewayServices.of(Map.of(RateLimitBuckets.class, shared))).toString())
                    .isEqualTo("policy[PolicySet[0 policies, 0 rules], shared rate limits (PostgreSQL table"
                            + " rate_limit_bucket)]");
            assertThat(processor(GatewayServices.none()).toString())
                    .isEqualTo("policy[PolicySet[0 policies, 0 rules], local rate limits (0 buckets)]");
        }
    }

    @Test
    void whenTheSharedBucketsAreClosedARateLimitedRequestIsRefused503() {
        RateLimitConfig limit = new RateLimitConfig(RateLimitConfig.Per.IDENTITY, 5L, null, Duration.ofMinutes(1));
        PostgresRateLimitBuckets closed = PostgresRateLimitBuckets.open(store, clock);
        closed.close();

        Outcome outcome = replica("requests", limit, closed).request(chat(ALICE));

        assertThat(outcome).isEqualTo(Outcome.deny(503, "Rate limits unavailable", "the rate-limit store is closed,"
                        + " so the request was refused (fail closed)",
                new DecidingRule("shared", "requests", "the rate-limit store is closed"))
                .withHeader("Retry-After", "5"));
    }

    /** A charge is sent after the answer and lands a moment later on the other replica. */
    private static Outcome.Deny awaitDenial(ProcessorHarness<PolicyConfig> replica, TestExchange exchange)
            throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Outcome outcome = replica.request(exchange);
        while (!(outcome instanceof Outcome.Deny) && System.nanoTime() < until) {
            Thread.sleep(20);
            outcome = replica.request(chat(BOB));
        }
        assertThat(outcome).isInstanceOf(Outcome.Deny.class);
        return (Outcome.Deny) outcome;
    }

    private ProcessorHarness<PolicyConfig> replica(String ruleName, RateLimitConfig limit, RateLimitBuckets buckets) {
        PolicyProcessorFactory factory = new PolicyProcessorFactory();
        PolicyFile file = policy("shared", groups("analysts"),
                rule(ruleName, Effect.ALLOW).operations(OperationKind.CHAT).rate(limit));
        factory.configureDirectory(List.of(new ConfigFile<>("policies/shared.yaml", file, path -> new int[] {1, 1})),
                new GatewayContext(Path.of("/tmp"), clock, GatewayServices.of(Map.of(RateLimitBuckets.class, buckets)),
                        Map.of("openai", "openai")));
        return ProcessorHarness.builder(factory, PolicyConfig.defaults()).endpointId("openai").protocol("openai")
                .clock(clock).build();
    }

    private io.gatehouse.spi.GatewayProcessor processor(GatewayServices services) {
        PolicyProcessorFactory factory = new PolicyProcessorFactory();
        factory.configureDirectory(List.of(), new GatewayContext(Path.of("/tmp"), clock, services,
                Map.of("openai", "openai")));
        return factory.create(PolicyConfig.defaults(), new EndpointContext("openai", "openai", "openai.policy", "/v1",
                clock));
    }

    private static TestExchange chat(Identity who) {
        return TestExchange.post("/v1/chat/completions").endpointId("openai").identity(who).body("{}")
                .operation(new Operation("openai", OperationKind.CHAT, "demo-small", false, 1, OptionalInt.of(10)))
                .build();
    }
}
