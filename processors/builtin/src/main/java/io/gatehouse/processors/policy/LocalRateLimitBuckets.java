package io.gatehouse.processors.policy;

import io.gatehouse.spi.ratelimit.BucketAnswer;
import io.gatehouse.spi.ratelimit.BucketLimit;
import io.gatehouse.spi.ratelimit.RateLimitBuckets;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The policy step's buckets when the gateway offers no shared {@link RateLimitBuckets} (one replica, or
 * an H2 store): Bucket4j buckets in this process, answered on the caller's thread. Interval refill: a
 * budget of N per interval is refilled whole when the interval ends, the first interval starting at the
 * bucket's first use. Thread-safe.
 */
final class LocalRateLimitBuckets implements RateLimitBuckets {

    /** Most keys kept; beyond it, full (idle) buckets are dropped. */
    static final int MAX_KEYS = 100_000;

    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final TimeMeter meter;

    LocalRateLimitBuckets(Clock clock) {
        this.meter = meter(clock);
    }

    @Override
    public CompletionStage<BucketAnswer> tryTake(String key, BucketLimit limit, long tokens) {
        ConsumptionProbe probe = bucket(key, limit).tryConsumeAndReturnRemaining(tokens);
        return CompletableFuture.completedFuture(probe.isConsumed() ? BucketAnswer.GRANTED
                : BucketAnswer.refused(Duration.ofNanos(probe.getNanosToWaitForRefill())));
    }

    @Override
    public CompletionStage<BucketAnswer> check(String key, BucketLimit limit) {
        Bucket bucket = bucket(key, limit);
        if (bucket.getAvailableTokens() > 0) {
            return CompletableFuture.completedFuture(BucketAnswer.GRANTED);
        }
        return CompletableFuture.completedFuture(BucketAnswer.refused(Duration.ofNanos(
                bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill())));
    }

    @Override
    public CompletionStage<Void> charge(String key, BucketLimit limit, long tokens) {
        if (tokens > 0) {
            bucket(key, limit).consumeIgnoringRateLimits(tokens);
        }
        return CompletableFuture.completedFuture(null);
    }

    private Bucket bucket(String key, BucketLimit limit) {
        Bucket bucket = buckets.get(key);
        if (bucket != null) {
            return bucket;
        }
        if (buckets.size() >= MAX_KEYS) {
            buckets.values().removeIf(b -> b.getAvailableTokens() >= limit.capacity());
        }
        return buckets.computeIfAbsent(key, k -> Bucket.builder()
                .addLimit(bandwidth(limit))
                .withCustomTimePrecision(meter)
                .build());
    }

    static Bandwidth bandwidth(BucketLimit limit) {
        return Bandwidth.builder().capacity(limit.capacity()).refillIntervally(limit.capacity(), limit.interval())
                .build();
    }

    static TimeMeter meter(Clock clock) {
        return new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                java.time.Instant now = clock.instant();
                return now.getEpochSecond() * 1_000_000_000L + now.getNano();
            }

            @Override
            public boolean isWallClockBased() {
                return true;
            }
        };
    }

    @Override
    public String toString() {
        return "local rate limits (" + buckets.size() + " buckets)";
    }
}
