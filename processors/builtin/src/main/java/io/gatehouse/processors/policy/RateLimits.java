package io.gatehouse.processors.policy;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.github.bucket4j.postgresql.PostgreSQLSelectForUpdateBasedProxyManager;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * The buckets behind rules' {@code rateLimits} (Bucket4j, interval refill: a budget of N per interval is
 * refilled whole when the interval ends, the first interval starting at the caller's first request, so
 * the N+1st request within it is refused). Either in this process ({@link #local}) or in the store's PostgreSQL table
 * {@code rate_limit_bucket} ({@link #shared}), so that replicas behind one load balancer share one budget.
 * Thread-safe.
 *
 * <p>Request budgets take one token per request. Token quotas are charged after the answer, from its
 * usage, and may go below zero; a request is let in while the quota is above zero.
 */
abstract class RateLimits implements AutoCloseable {

    /** Most keys a local table keeps; beyond it, full (idle) buckets are dropped. */
    static final int MAX_LOCAL_KEYS = 100_000;

    /** Whether calls wait for the network (run them off the request thread). */
    abstract boolean remote();

    abstract Bucket bucket(String key, RateLimitConfig limit);

    /** Nanoseconds until a request fits; 0 when it was taken. */
    final long takeRequest(String key, RateLimitConfig limit) {
        ConsumptionProbe probe = bucket(key, limit).tryConsumeAndReturnRemaining(1);
        return probe.isConsumed() ? 0 : Math.max(1, probe.getNanosToWaitForRefill());
    }

    /** Nanoseconds until the token quota is above zero again; 0 when it is. */
    final long quotaWait(String key, RateLimitConfig limit) {
        Bucket bucket = bucket(key, limit);
        if (bucket.getAvailableTokens() > 0) {
            return 0;
        }
        return Math.max(1, bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill());
    }

    /** Charges used tokens to a quota, whatever remains. */
    final void charge(String key, RateLimitConfig limit, long tokens) {
        if (tokens > 0) {
            bucket(key, limit).consumeIgnoringRateLimits(tokens);
        }
    }

    static BucketConfiguration configuration(RateLimitConfig limit) {
        return BucketConfiguration.builder()
                .addLimit(Bandwidth.builder().capacity(limit.capacity()).refillIntervally(limit.capacity(), limit.every())
                        .build())
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

    /** A key of at most 200 characters: long ones are hashed. */
    static String key(String text) {
        if (text.length() <= 200) {
            return text;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return text.substring(0, 100) + "#" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
    }

    static RateLimits local(Clock clock) {
        return new Local(clock);
    }

    static RateLimits shared(DataSource dataSource, Clock clock) {
        return new Shared(dataSource, clock);
    }

    /** Buckets in this process. */
    private static final class Local extends RateLimits {
        private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
        private final TimeMeter meter;

        Local(Clock clock) {
            this.meter = meter(clock);
        }

        @Override
        boolean remote() {
            return false;
        }

        @Override
        Bucket bucket(String key, RateLimitConfig limit) {
            Bucket bucket = buckets.get(key);
            if (bucket != null) {
                return bucket;
            }
            if (buckets.size() >= MAX_LOCAL_KEYS) {
                buckets.values().removeIf(b -> b.getAvailableTokens() >= configuration(limit).getBandwidths()[0]
                        .getCapacity());
            }
            return buckets.computeIfAbsent(key, k -> Bucket.builder()
                    .addLimit(configuration(limit).getBandwidths()[0])
                    .withCustomTimePrecision(meter)
                    .build());
        }

        @Override
        public String toString() {
            return "local rate limits (" + buckets.size() + " buckets)";
        }
    }

    /** Buckets in the store's PostgreSQL, row-locked per key (SELECT … FOR UPDATE). */
    private static final class Shared extends RateLimits {
        private final PostgreSQLSelectForUpdateBasedProxyManager<String> manager;
        private final ProxyManager<String> proxies;

        Shared(DataSource dataSource, Clock clock) {
            this.manager = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(dataSource)
                    .primaryKeyMapper(PrimaryKeyMapper.STRING)
                    .table("rate_limit_bucket").idColumn("id").stateColumn("state").expiresAtColumn("expires_at")
                    .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                            Duration.ofMinutes(1)))
                    .clientClock(meter(clock))
                    .build();
            this.proxies = manager;
        }

        @Override
        boolean remote() {
            return true;
        }

        @Override
        Bucket bucket(String key, RateLimitConfig limit) {
            return proxies.builder().build(key, () -> configuration(limit));
        }

        /** Deletes rows of buckets that refilled completely a minute ago; returns how many. */
        int removeExpired() {
            return manager.removeExpired(1000);
        }

        @Override
        public String toString() {
            return "shared rate limits (PostgreSQL table rate_limit_bucket)";
        }
    }

    /** Removes expired shared rows; a no-op for local buckets. */
    int cleanUp() {
        return this instanceof Shared s ? s.removeExpired() : 0;
    }
}
