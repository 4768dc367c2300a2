package io.gatehouse.spi.audit;

import java.time.Instant;
import java.util.Objects;

/**
 * One event about one exchange, as a processor hands it to the {@link AuditLog}. The log gives it its
 * place in this replica's hash chain (sequence number, previous hash) and stores and hashes the payload
 * exactly as given, so {@code gatehouse audit verify} detects any later edit. Write the payload
 * canonical — object keys sorted, no whitespace between tokens — so that equal content always hashes
 * alike, as the built-in steps do (with Jackson: {@code JsonNodeFeature.WRITE_PROPERTIES_SORTED}).
 *
 * <p>The log copies the payload's top-level {@code sessionId}, {@code username}, {@code decision}
 * (strings of at most 256 characters) and {@code status} (an integer) into columns that the admin
 * API's queries filter on ({@code /admin/sessions?user=...}).
 *
 * @param kind       what the event says about the exchange
 * @param recordId   the exchange's id (its {@code Gatehouse-Request-Id}), at most {@value #MAX_ID} characters
 * @param time       when it happened; kept to the microsecond
 * @param endpointId the endpoint the exchange came to, at most {@value #MAX_ID} characters
 * <p>A producer that built the payload itself already knows those four fields: it may hand them over as
 * {@link Columns}, and the log then copies them instead of reading the whole payload again (a second JSON
 * parse of every record, 3 % of the gateway's CPU under the full pipeline). They must be exactly what the
 * payload says, by the rules above; {@code audit verify} reports an event whose columns differ from its
 * payload.
 *
 * @param payload    one JSON object, as text: what to keep (never credentials); canonical, preferably
 * @param columns    the payload's query fields as its producer knows them, or {@code null} to have the log
 *                   read them from the payload
 */
public record AuditEntry(Kind kind, String recordId, Instant time, String endpointId, String payload,
                         Columns columns) {

    /** Longest record and endpoint id a log accepts. */
    public static final int MAX_ID = 128;

    /** What an event says about its exchange. */
    public enum Kind {
        /** The exchange started: written before the request goes on. */
        START,
        /** The exchange ended, whatever the outcome. */
        END,
        /** Something learned about the exchange after its end was written (the client left before the last byte). */
        AMEND
    }

    /** An entry whose query columns the log reads from its payload. */
    public AuditEntry(Kind kind, String recordId, Instant time, String endpointId, String payload) {
        this(kind, recordId, time, endpointId, payload, null);
    }

    /**
     * The payload's top-level {@code sessionId}, {@code username}, {@code decision} (each {@code null}
     * unless the payload has it as a string of at most 256 characters) and {@code status} ({@code null}
     * unless the payload has it as an integer).
     */
    public record Columns(String sessionId, String username, String decision, Integer status) {
    }

    public AuditEntry {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(recordId, "recordId");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(endpointId, "endpointId");
        Objects.requireNonNull(payload, "payload");
        if (recordId.length() > MAX_ID || endpointId.length() > MAX_ID) {
            throw new IllegalArgumentException("record and endpoint ids are at most " + MAX_ID + " characters");
        }
    }
}
