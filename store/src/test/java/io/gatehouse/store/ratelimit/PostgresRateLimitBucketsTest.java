package io.gatehouse.store.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.ServiceUnavailableException;
import io.gatehouse.spi.ratelimit.BucketAnswer;
import io.gatehouse.spi.ratelimit.BucketLimit;
import io.gatehouse.store.Dialect;
import io.gatehouse.store.Store;
import io.gatehouse.store.TestStores;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared rate-limit buckets in PostgreSQL (a fresh database on 127.0.0.1:5432): two replicas' services
 * take from one budget.
 */
class PostgresRateLimitBucketsTest {

    private static final BucketLimit FIVE_A_MINUTE = new BucketLimit(5, Duration.ofMinutes(1));

    @TempDir
    static Path temp;

    private static TestStores postgres;

    private final MovableClock clock = new MovableClock(Instant.parse("2026-03-02T10:15:00Z"));

    @BeforeAll
    static void createDatabase() throws Exception {
        postgres = TestStores.create(Dialect.POSTGRESQL, temp);
    }

    @AfterAll
    static void dropDatabase() throws Exception {
        postgres.close();
    }

    @Test
    void twoReplicasShareOneRequestBudgetThroughPostgresql() {
        try (PostgresRateLimitBuckets replicaA = PostgresRateLimitBuckets.open(postgres.store(), clock);
             PostgresRateLimitBuckets replicaB = PostgresRateLimitBuckets.open(postgres.store(), clock)) {
            for (int i = 0; i < 5; i++) {
                assertThat(join((i % 2 == 0 ? replicaA : replicaB).tryTake("analysts/chat#0/i:alice", FIVE_A_MINUTE,
                        1))).as("request %d", i + 1).isEqualTo(BucketAnswer.GRANTED);
            }

            assertThat(join(replicaA.tryTake("analysts/chat#0/i:alice", FIVE_A_MINUTE, 1)))
                    .isEqualTo(new BucketAnswer(false, Duration.ofSeconds(60)));
            assertThat(join(replicaB.tryTake("analysts/chat#0/i:alice", FIVE_A_MINUTE, 1)).granted()).isFalse();
            assertThat(join(replicaB.tryTake("analysts/chat#0/i:bob", FIVE_A_MINUTE, 1))).as("another caller")
                    .isEqualTo(BucketAnswer.GRANTED);
            clock.advance(Duration.ofSeconds(60));
            assertThat(join(replicaB.tryTake("analysts/chat#0/i:alice", FIVE_A_MINUTE, 1)))
                    .isEqualTo(BucketAnswer.GRANTED);
        }
    }

    @Test
    void tokensChargedOnOneReplicaSpendTheQuotaOfTheOther() {
        BucketLimit quota = new BucketLimit(1000, Duration.ofHours(1));
        try (PostgresRateLimitBuckets replicaA = PostgresRateLimitBuckets.open(postgres.store(), clock);
             PostgresRateLimitBuckets replicaB = PostgresRateLimitBuckets.open(postgres.store(), clock)) {
            assertThat(join(replicaB.check("analysts/chat#1/g:analysts", quota))).isEqualTo(BucketAnswer.GRANTED);

            join(replicaA.charge("analysts/chat#1/g:analysts", quota, 1200));

            assertThat(join(replicaB.check("analysts/chat#1/g:analysts", quota)))
                    .isEqualTo(new BucketAnswer(false, Duration.ofHours(1))); // -200 until the hour's refill
        }
    }

    @Test
    void callsAfterCloseFailAsServiceUnavailableAndNeverHang() {
        PostgresRateLimitBuckets buckets = PostgresRateLimitBuckets.open(postgres.store(), clock);
        buckets.close();

        CompletionStage<BucketAnswer> answer = buckets.tryTake("k", FIVE_A_MINUTE, 1);

        assertThatThrownBy(() -> join(answer)).isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(ServiceUnavailableException.class)
                .hasMessage("the rate-limit store is closed");
    }

    @Test
    void callsWaitForPostgresqlOnTheServicesOwnThreads() {
        try (PostgresRateLimitBuckets buckets = PostgresRateLimitBuckets.open(postgres.store(), clock)) {
            AtomicReference<String> thread = new AtomicReference<>();

            join(buckets.tryTake("threads", FIVE_A_MINUTE, 1).thenRun(() -> thread.set(Thread.currentThread()
                    .getName())));

            assertThat(thread.get()).startsWith("gatehouse-rate-limits-");
        }
    }

    @Test
    void sharedBucketsNeedAPostgresqlStore() throws Exception {
        try (TestStores h2 = TestStores.create(Dialect.H2, temp.resolve("h2"))) {
            assertThatThrownBy(() -> PostgresRateLimitBuckets.open(h2.store(), clock))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("shared rate limits need a PostgreSQL store, not H2");
        }
    }

    @Test
    void theBucketTableIsCreatedOnH2TooSoOneSchemaServesBothStores() throws Exception {
        try (TestStores h2 = TestStores.create(Dialect.H2, temp.resolve("h2-table"))) {
            Store store = h2.store();
            try (Connection c = store.connection(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO rate_limit_bucket(id, state, expires_at) VALUES ('k', X'00', 1)");
                try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM rate_limit_bucket")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(1);
                }
            }
        }
    }

    private static <T> T join(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new CompletionException(e.getCause());
        } catch (Exception e) {
            throw new AssertionError("did not complete: " + e, e);
        }
    }

    /** A clock the test moves. */
    private static final class MovableClock extends Clock {
        private volatile Instant now;

        MovableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
