package io.gatehouse.spi;

import java.time.Instant;

/** Attribute keys the gateway itself honours. */
public final class StandardAttributes {

    /**
     * When the whole exchange must be over. Set by a step (e.g. {@code limits.requestTimeout});
     * the call to the agent is cancelled at this instant and the client gets 504. The earliest
     * deadline wins: a step should only ever shorten it.
     */
    public static final AttributeKey<Instant> DEADLINE = AttributeKey.of("gatehouse.deadline", Instant.class);

    private StandardAttributes() {
    }
}
