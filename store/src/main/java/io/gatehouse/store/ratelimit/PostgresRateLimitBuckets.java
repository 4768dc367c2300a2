package io.gatehouse.store.ratelimit;

import io.gatehouse.spi.ratelimit.BucketAnswer;
import io.gatehouse.spi.ratelimit.BucketLimit;
import io.gatehouse.spi.ratelimit.RateLimitBuckets;
import io.gatehouse.store.Dialect;
import io.gatehouse.store.Store;
import io.gatehouse.store.StoreException;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.github.bucket4j.postgresql.PostgreSQLSelectForUpdateBasedProxyManager;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RateLimitBuckets} in the store's PostgreSQL table {@code rate_limit_bucket} (Bucket4j, one row
 * per key, locked with {@code SELECT … FOR UPDATE}), so that replicas behind one load balancer share one
 * budget. Calls wait for PostgreSQL on this service's own small pool, never on the caller's thread; a
 * cleaner removes rows of buckets that refilled completely a minute ago. Both are stopped by
 * {@link #close()}. Thread-safe.
 */
public final class PostgresRateLimitBuckets implements RateLimitBuckets, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresRateLimitBuckets.class);

    /** What a caller is told when PostgreSQL fails (the cause, logged here, may name hosts). */
    static final String UNREACHABLE = "the rate-limit store cannot be reached";

    /** Calls waiting for a thread beyond this are refused (fail closed) rather than queued for ever. */
    static final int MAX_QUEUED = 10_000;

    private final PostgreSQLSelectForUpdateBasedProxyManager<String> buckets;
    private final ThreadPoolExecutor calls;
    private final ScheduledExecutorService cleaner;

    private PostgresRateLimitBuckets(Store store, Clock clock) {
        this.buckets = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(store.dataSource())
                .primaryKeyMapper(PrimaryKeyMapper.STRING)
                .table("rate_limit_bucket").idColumn("id").stateColumn("state").expiresAtColumn("expires_at")
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                        Duration.ofMinutes(1)))
                .clientClock(meter(clock))
                .build();
        AtomicInteger n = new AtomicInteger();
        this.calls = new ThreadPoolExecutor(4, 4, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(MAX_QUEUED), r -> {
            Thread t = new Thread(r, "gatehouse-rate-limits-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.calls.allowCoreThreadTimeOut(true);
        this.cleaner = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gatehouse-rate-limits-cleaner");
            t.setDaemon(true);
            return t;
        });
        cleaner.scheduleWithFixedDelay(this::cleanUp, 1, 1, TimeUnit.MINUTES);
    }

    /**
     * The buckets of {@code store}, timed by {@code clock}.
     *
     * @throws IllegalArgumentException when the store is not PostgreSQL (H2 is one node: keep buckets in memory)
     */
    public static PostgresRateLimitBuckets open(Store store, Clock clock) {
        if (store.dialect() != Dialect.POSTGRESQL) {
            throw new IllegalArgumentException("shared rate limits need a PostgreSQL store, not " + store.dialect());
        }
        return new PostgresRateLimitBuckets(store, clock);
    }

    @Override
    public CompletionStage<BucketAnswer> tryTake(String key, BucketLimit limit, long tokens) {
        return call(() -> {
            ConsumptionProbe probe = bucket(key, limit).tryConsumeAndReturnRemaining(tokens);
            return probe.isConsumed() ? BucketAnswer.GRANTED
                    : BucketAnswer.refused(Duration.ofNanos(probe.getNanosToWaitForRefill()));
        });
    }

    @Override
    public CompletionStage<BucketAnswer> check(String key, BucketLimit limit) {
        return call(() -> {
            Bucket bucket = bucket(key, limit);
            if (bucket.getAvailableTokens() > 0) {
                return BucketAnswer.GRANTED;
            }
            return BucketAnswer.refused(Duration.ofNanos(bucket.estimateAbilityToConsume(1)
                    .getNanosToWaitForRefill()));
        });
    }

    @Override
    public CompletionStage<Void> charge(String key, BucketLimit limit, long tokens) {
        return call(() -> {
            if (tokens > 0) {
                bucket(key, limit).consumeIgnoringRateLimits(tokens);
            }
            return null;
        });
    }

    private Bucket bucket(String key, BucketLimit limit) {
        if (key.length() > MAX_KEY) {
            throw new IllegalArgumentException("a bucket key is at most " + MAX_KEY + " characters");
        }
        return buckets.builder().build(key, () -> configuration(limit));
    }

    /** A call waiting for, or running on, a pool thread. */
    private record Call<T>(Supplier<T> work, CompletableFuture<T> done) implements Runnable {
        @Override
        public void run() {
            try {
                done.complete(work.get());
            } catch (IllegalArgumentException e) {
                done.completeExceptionally(e);
            } catch (RuntimeException e) {
                LOG.warn("rate-limit store call failed: {}", Store.rootMessage(e));
                done.completeExceptionally(new StoreException(UNREACHABLE, e));
            }
        }
    }

    /** Runs {@code work} on the pool; store trouble and a full queue fail the stage with a {@link StoreException}. */
    private <T> CompletionStage<T> call(Supplier<T> work) {
        Call<T> call = new Call<>(work, new CompletableFuture<>());
        try {
            calls.execute(call);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new StoreException(calls.isShutdown()
                    ? "the rate-limit store is closed" : "the rate-limit store is overloaded"));
        }
        return call.done();
    }

    /** Deletes rows of buckets that refilled completely a minute ago; returns how many. */
    int cleanUp() {
        try {
            return buckets.removeExpired(1000);
        } catch (RuntimeException e) {
            LOG.debug("expired rate-limit buckets not removed (next round tries again): {}", e.toString());
            return 0;
        }
    }

    static BucketConfiguration configuration(BucketLimit limit) {
        return BucketConfiguration.builder()
                .addLimit(Bandwidth.builder().capacity(limit.capacity())
                        .refillIntervally(limit.capacity(), limit.interval()).build())
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

    /** Stops the cleaner and the pool; calls still queued fail. */
    @Override
    public void close() {
        cleaner.shutdownNow();
        for (Runnable queued : calls.shutdownNow()) {
            if (queued instanceof Call<?> call) {
                call.done().completeExceptionally(new StoreException("the rate-limit store is closed"));
            }
        }
    }

    @Override
    public String toString() {
        return "shared rate limits (PostgreSQL table rate_limit_bucket)";
    }
}
