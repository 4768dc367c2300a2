/**
 * Rate-limit buckets for plugins: {@link io.gatehouse.spi.ratelimit.RateLimitBuckets}, found in the
 * gateway's services when replicas share them (PostgreSQL). JDK only.
 */
package io.gatehouse.spi.ratelimit;
