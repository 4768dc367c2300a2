package io.gatehouse.spi.ratelimit;

import java.time.Duration;
import java.util.Objects;

/**
 * What a bucket said.
 *
 * @param granted    the tokens were taken (or, for {@link RateLimitBuckets#check}, the bucket holds one)
 * @param retryAfter when not granted: how long until it would be; zero when granted
 */
public record BucketAnswer(boolean granted, Duration retryAfter) {

    /** Granted: nothing to wait for. */
    public static final BucketAnswer GRANTED = new BucketAnswer(true, Duration.ZERO);

    public BucketAnswer {
        Objects.requireNonNull(retryAfter, "retryAfter");
    }

    /** Refused; {@code retryAfter} is at least one nanosecond. */
    public static BucketAnswer refused(Duration retryAfter) {
        return new BucketAnswer(false, retryAfter.isZero() || retryAfter.isNegative() ? Duration.ofNanos(1)
                : retryAfter);
    }
}
