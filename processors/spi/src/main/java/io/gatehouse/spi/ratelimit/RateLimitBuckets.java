package io.gatehouse.spi.ratelimit;

import java.util.concurrent.CompletionStage;

/**
 * Token buckets by name, for request rates and quotas. The gateway provides them as a service
 * ({@code services.find(RateLimitBuckets.class)}) when its store is shared (PostgreSQL): every replica
 * behind one load balancer then takes from the same buckets. When the service is absent, a step keeps
 * its buckets in its own process. Thread-safe.
 *
 * <p>A bucket is named by its key (at most 200 characters: hash longer ones) and shaped by the
 * {@link BucketLimit} given with it; the first call creates it full. The stages complete off the
 * caller's thread when the buckets are remote, and fail with a
 * {@link io.gatehouse.spi.ServiceUnavailableException} when the buckets cannot be reached or are
 * overloaded: fail closed.
 */
public interface RateLimitBuckets {

    /** Longest key; hash longer ones. */
    int MAX_KEY = 200;

    /** Takes {@code tokens} from the bucket when it holds them all; otherwise takes none. */
    CompletionStage<BucketAnswer> tryTake(String key, BucketLimit limit, long tokens);

    /** Whether the bucket holds at least one token now; takes nothing (a quota charged afterwards). */
    CompletionStage<BucketAnswer> check(String key, BucketLimit limit);

    /**
     * Takes {@code tokens} whatever the bucket holds; it may go below zero, and then
     * {@link #check} refuses until refills bring it above zero (tokens counted after an answer).
     */
    CompletionStage<Void> charge(String key, BucketLimit limit, long tokens);
}
