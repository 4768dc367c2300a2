package io.gatehouse.processors.recording;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One log line per period for a failure that hits every request while it lasts (the store is down):
 * the first occurrence is logged, the next ones within {@link #PERIOD_NANOS} are only counted, and the
 * next line says how many were not logged. Without it, an outage at a thousand requests a second writes a
 * thousand error lines a second, which slows every thread that logs and buries the one line that matters.
 * Thread-safe, lock-free.
 */
final class OutageLog {

    static final long PERIOD_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final AtomicLong nextNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong suppressed = new AtomicLong();

    /**
     * Whether to log this occurrence: -1 when not (it is counted), else how many were counted and not
     * logged since the last logged one.
     */
    long admit() {
        long now = System.nanoTime();
        long next = nextNanos.get();
        if (now - next >= 0 && nextNanos.compareAndSet(next, now + PERIOD_NANOS)) {
            return suppressed.getAndSet(0);
        }
        suppressed.incrementAndGet();
        return -1;
    }
}
