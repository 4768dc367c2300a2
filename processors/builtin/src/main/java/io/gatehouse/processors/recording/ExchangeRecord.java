package io.gatehouse.processors.recording;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/** The recording's state for one exchange, kept in the exchange's attributes. */
final class ExchangeRecord {

    /** Where the end event is. */
    enum End { NONE, PENDING, DURABLE, FAILED }

    final Instant start;
    final long bytesIn;
    final Scrubber scrubber;
    final AtomicReference<End> end = new AtomicReference<>(End.NONE);
    volatile boolean started;
    volatile ResponseCapture capture;
    /** What the recording's masking masked in the stored request body, per detector id. */
    volatile java.util.Map<String, Integer> requestMasked = java.util.Map.of();

    ExchangeRecord(Instant start, long bytesIn, Scrubber scrubber) {
        this.start = start;
        this.bytesIn = bytesIn;
        this.scrubber = scrubber;
    }
}
