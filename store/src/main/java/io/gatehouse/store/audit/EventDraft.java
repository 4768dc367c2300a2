package io.gatehouse.store.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;

/**
 * An event as its producer hands it to the {@link AuditTrail}: everything but its place in the
 * chain (replica, seq, previous hash), which the writer assigns. The payload is already canonical
 * and digested, so that work happens on the producer's thread, not the single writer's.
 *
 * <p>The query columns ({@code sessionId}, {@code username}, {@code decision}, {@code status}) are
 * copied from the payload's top-level fields of the same names, so the verifier can check them.
 */
public record EventDraft(EventType type, String recordId, long timeMicros, String endpointId, String sessionId,
                         String username, String decision, Integer status, String payload, String payloadDigest) {

    /** Longest record id accepted (the column's width). */
    public static final int MAX_ID = 128;

    public EventDraft {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(recordId, "recordId");
        Objects.requireNonNull(endpointId, "endpointId");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(payloadDigest, "payloadDigest");
        if (recordId.length() > MAX_ID || endpointId.length() > MAX_ID) {
            throw new IllegalArgumentException("record and endpoint ids are at most " + MAX_ID + " characters");
        }
    }

    /**
     * Canonicalises and digests {@code payload}; the query columns come from its top-level
     * {@code sessionId}, {@code username}, {@code decision} and {@code status}.
     */
    public static EventDraft of(EventType type, String recordId, Instant time, String endpointId, ObjectNode payload) {
        String canonical = CanonicalJson.write(payload);
        return new EventDraft(type, recordId, micros(time), endpointId, text(payload, "sessionId"),
                text(payload, "username"), text(payload, "decision"),
                payload.hasNonNull("status") && payload.get("status").canConvertToInt()
                        ? payload.get("status").intValue() : null,
                canonical, Hashes.sha256Hex(canonical));
    }

    /**
     * An event whose payload is given as JSON text, stored and digested exactly as given (the chain
     * hashes the stored text, so any form verifies; a producer that wants equal content to hash alike
     * writes it canonical, as {@link CanonicalJson#write} does). The query columns are read from the
     * text as the verifier reads them: its top-level {@code sessionId}, {@code username},
     * {@code decision} and {@code status}.
     *
     * @throws IllegalArgumentException when {@code json} is not one JSON object
     */
    public static EventDraft ofJson(EventType type, String recordId, Instant time, String endpointId, String json) {
        Map<String, Object> columns = expectedColumns(json);
        return new EventDraft(type, recordId, micros(time), endpointId, (String) columns.get("sessionId"),
                (String) columns.get("username"), (String) columns.get("decision"), (Integer) columns.get("status"),
                json, Hashes.sha256Hex(json));
    }

    /**
     * An event whose payload is given as JSON text with its query columns as its producer knows them
     * (the payload is not read again). Strings over 256 characters are not copied, as {@link #ofJson}
     * would not; columns that differ from the payload fail {@code audit verify}.
     */
    public static EventDraft ofJson(EventType type, String recordId, Instant time, String endpointId, String json,
                                    String sessionId, String username, String decision, Integer status) {
        Objects.requireNonNull(json, "payload");
        return new EventDraft(type, recordId, micros(time), endpointId, clipped(sessionId), clipped(username),
                clipped(decision), status, json, Hashes.sha256Hex(json));
    }

    private static String clipped(String value) {
        return value == null ? null : clip(value);
    }

    private static String text(ObjectNode payload, String field) {
        return payload.hasNonNull(field) && payload.get(field).isTextual() ? clip(payload.get(field).textValue()) : null;
    }

    /** Column values are at most 256 characters; longer payload values are not copied (and verify agrees). */
    static String clip(String value) {
        return value.length() > 256 ? null : value;
    }

    /** Microseconds since the epoch: the resolution the store keeps. */
    public static long micros(Instant time) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, time);
    }

    public static Instant instant(long micros) {
        return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
    }

    /** The columns a payload implies, as the verifier recomputes them. */
    static Map<String, Object> expectedColumns(String payload) {
        Map<String, Object> top = CanonicalJson.topLevelScalars(payload);
        Map<String, Object> columns = new java.util.HashMap<>();
        for (String field : new String[] {"sessionId", "username", "decision"}) {
            if (top.get(field) instanceof String s && clip(s) != null) {
                columns.put(field, s);
            }
        }
        if (top.get("status") instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
            columns.put("status", l.intValue());
        }
        return columns;
    }

    /** This event at its place in a chain. */
    AuditEvent place(String replica, long seq, String prevHash) {
        String hash = Hashes.entryHash(replica, seq, type.wireName(), recordId, timeMicros, endpointId, payloadDigest,
                prevHash);
        return new AuditEvent(replica, seq, type.wireName(), recordId, timeMicros, endpointId, sessionId, username,
                decision, status, payload, payloadDigest, prevHash, hash);
    }
}
