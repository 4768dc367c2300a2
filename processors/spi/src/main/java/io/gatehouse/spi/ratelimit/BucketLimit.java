package io.gatehouse.spi.ratelimit;

import java.time.Duration;
import java.util.Objects;

/**
 * The shape of a token bucket: it holds at most {@code capacity} tokens and is refilled whole when
 * each {@code interval} ends, the first interval starting when the bucket is first used. So
 * {@code (60, 1m)} lets 60 requests in per minute and refuses the 61st until the minute is over.
 *
 * @param capacity tokens the bucket holds when full, at least 1
 * @param interval how often it is refilled whole; positive
 */
public record BucketLimit(long capacity, Duration interval) {

    public BucketLimit {
        if (capacity < 1) {
            throw new IllegalArgumentException("a bucket holds at least 1 token, got " + capacity);
        }
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("a bucket's refill interval is positive, got " + interval);
        }
    }
}
