package io.gatehouse.store.audit;

import java.time.Instant;

/**
 * One stored event of a chain, as the {@code audit_event} row holds it.
 *
 * @param payload null once retention removed the content
 */
public record AuditEvent(String replicaId, long seq, String type, String recordId, long timeMicros, String endpointId,
                         String sessionId, String username, String decision, Integer status, String payload,
                         String payloadDigest, String prevHash, String hash) {

    public Instant time() {
        return EventDraft.instant(timeMicros);
    }

    /** The hash this event's fields imply (equal to {@link #hash()} unless the row was altered). */
    public String recomputedHash() {
        return Hashes.entryHash(replicaId, seq, type, recordId, timeMicros, endpointId, payloadDigest, prevHash);
    }
}
