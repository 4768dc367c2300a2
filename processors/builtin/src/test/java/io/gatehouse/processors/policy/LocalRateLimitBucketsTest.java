package io.gatehouse.processors.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.spi.ratelimit.BucketAnswer;
import io.gatehouse.spi.ratelimit.BucketLimit;
import io.gatehouse.testkit.TestClock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** The step's own buckets when the gateway shares none: answered at once, on the caller's thread. */
class LocalRateLimitBucketsTest {

    private static final BucketLimit THREE_A_MINUTE = new BucketLimit(3, Duration.ofMinutes(1));

    private final TestClock clock = TestClock.atDefaultStart();
    private final LocalRateLimitBuckets buckets = new LocalRateLimitBuckets(clock);

    @Test
    void aBucketGivesItsCapacityThenRefusesUntilItsIntervalEndsAndRefillsWhole() {
        for (int i = 0; i < 3; i++) {
            assertThat(now(buckets.tryTake("alice", THREE_A_MINUTE, 1))).isEqualTo(BucketAnswer.GRANTED);
        }
        assertThat(now(buckets.tryTake("alice", THREE_A_MINUTE, 1)))
                .isEqualTo(new BucketAnswer(false, Duration.ofMinutes(1)));

        clock.advance(Duration.ofSeconds(60));

        assertThat(now(buckets.tryTake("alice", THREE_A_MINUTE, 3))).as("refilled whole")
                .isEqualTo(BucketAnswer.GRANTED);
    }

    @Test
    void eachKeyHasItsOwnBucket() {
        now(buckets.tryTake("alice", THREE_A_MINUTE, 3));

        assertThat(now(buckets.tryTake("bob", THREE_A_MINUTE, 1))).isEqualTo(BucketAnswer.GRANTED);
        assertThat(buckets.toString()).isEqualTo("local rate limits (2 buckets)");
    }

    @Test
    void aChargeMayOverdrawTheBucketAndCheckRefusesUntilARefillBringsItAboveZero() {
        BucketLimit quota = new BucketLimit(100, Duration.ofHours(1));
        assertThat(now(buckets.check("team", quota))).isEqualTo(BucketAnswer.GRANTED);

        now(buckets.charge("team", quota, 150));

        assertThat(now(buckets.check("team", quota))).isEqualTo(new BucketAnswer(false, Duration.ofHours(1)));
        clock.advance(Duration.ofHours(1));
        assertThat(now(buckets.check("team", quota))).as("-50 + 100").isEqualTo(BucketAnswer.GRANTED);
    }

    /** Local buckets answer before returning. */
    private static <T> T now(CompletionStage<T> stage) {
        assertThat(stage.toCompletableFuture()).isDone();
        return stage.toCompletableFuture().join();
    }
}
