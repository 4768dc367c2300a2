package io.gatehouse.processors.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.store.Store;
import io.gatehouse.store.StoreSettings;
import io.gatehouse.testkit.TestClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two replicas' rate limits on one PostgreSQL store (a fresh database on 127.0.0.1:5432) share one budget;
 * the store's migrations create the bucket table on H2 as well.
 */
class SharedRateLimitsTest {

    private static final String ADMIN_URL = System.getProperty("gatehouse.test.postgres",
            "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres");
    private static final String DATABASE = "gatehouse_policy_" + UUID.randomUUID().toString().replace("-", "")
            .substring(0, 12);
    private static Store store;

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
        TestClock clock = TestClock.atDefaultStart();
        RateLimitConfig limit = new RateLimitConfig(RateLimitConfig.Per.IDENTITY, 5L, null, Duration.ofMinutes(1));
        RateLimits replicaA = RateLimits.shared(store.dataSource(), clock);
        RateLimits replicaB = RateLimits.shared(store.dataSource(), clock);

        for (int i = 0; i < 5; i++) {
            assertThat((i % 2 == 0 ? replicaA : replicaB).takeRequest("analysts/chat#0/i:alice", limit)).isZero();
        }

        assertThat(replicaA.takeRequest("analysts/chat#0/i:alice", limit)).isEqualTo(60_000_000_000L);
        assertThat(replicaB.takeRequest("analysts/chat#0/i:alice", limit)).isEqualTo(60_000_000_000L);
        assertThat(replicaB.takeRequest("analysts/chat#0/i:bob", limit)).as("another caller").isZero();
        clock.advance(Duration.ofSeconds(60));
        assertThat(replicaB.takeRequest("analysts/chat#0/i:alice", limit)).isZero();
    }

    @Test
    void tokensChargedOnOneReplicaSpendTheQuotaOfTheOther() {
        TestClock clock = TestClock.atDefaultStart();
        RateLimitConfig quota = new RateLimitConfig(RateLimitConfig.Per.GROUP, null, 1000L, Duration.ofHours(1));
        RateLimits replicaA = RateLimits.shared(store.dataSource(), clock);
        RateLimits replicaB = RateLimits.shared(store.dataSource(), clock);

        replicaA.charge("analysts/chat#1/g:analysts", quota, 1200);

        assertThat(replicaB.quotaWait("analysts/chat#1/g:analysts", quota)).isEqualTo(3_600_000_000_000L); // -200 until the hour's refill
    }

    @Test
    void theStepKeepsBudgetsInPostgresqlWhenTheStoreIsPostgresqlAndInMemoryOnH2() throws Exception {
        Path dir = Files.createTempDirectory("gatehouse-policy-h2");
        try (Store h2 = Store.open(StoreSettings.embedded(dir))) {
            assertThat(processorOn(store).toString()).isEqualTo("policy[PolicySet[0 policies, 0 rules], shared rate"
                    + " limits (PostgreSQL table rate_limit_bucket)]");
            assertThat(processorOn(h2).toString()).isEqualTo("policy[PolicySet[0 policies, 0 rules], local rate"
                    + " limits (0 buckets)]");
        }
    }

    private static io.gatehouse.spi.GatewayProcessor processorOn(Store on) {
        PolicyProcessorFactory factory = new PolicyProcessorFactory();
        TestClock clock = TestClock.atDefaultStart();
        factory.configureDirectory(java.util.List.of(), new io.gatehouse.spi.GatewayContext(Path.of("/tmp"), clock,
                io.gatehouse.spi.GatewayServices.of(java.util.Map.of(Store.class, on)), java.util.Map.of("openai", "openai")));
        return factory.create(PolicyConfig.defaults(), new io.gatehouse.spi.EndpointContext("openai", "openai",
                "openai.policy", "/v1", clock));
    }

    @Test
    void theBucketTableIsCreatedOnH2TooSoOneSchemaServesBothStores() throws Exception {
        Path dir = Files.createTempDirectory("gatehouse-policy-h2");
        try (Store h2 = Store.open(StoreSettings.embedded(dir)); Connection c = h2.connection();
             Statement s = c.createStatement()) {
            s.execute("INSERT INTO rate_limit_bucket(id, state, expires_at) VALUES ('k', X'00', 1)");
            try (var rs = s.executeQuery("SELECT COUNT(*) FROM rate_limit_bucket")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
        }
    }
}
