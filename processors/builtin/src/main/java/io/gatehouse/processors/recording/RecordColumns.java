package io.gatehouse.processors.recording;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.spi.audit.AuditEntry;

/**
 * A record's query columns, read from the tree the record is written from, so the audit log need not
 * parse the written text again. The rules are {@link AuditEntry}'s: a top-level string of at most 256
 * characters, an integer status; anything else is no column (and {@code audit verify} agrees).
 */
final class RecordColumns {

    private static final int LONGEST = 256;

    private RecordColumns() {
    }

    static AuditEntry.Columns of(ObjectNode payload) {
        JsonNode status = payload.get("status");
        return new AuditEntry.Columns(text(payload, "sessionId"), text(payload, "username"),
                text(payload, "decision"),
                status != null && status.isIntegralNumber() && status.canConvertToInt() ? status.intValue() : null);
    }

    private static String text(ObjectNode payload, String field) {
        JsonNode value = payload.get(field);
        return value != null && value.isTextual() && value.textValue().length() <= LONGEST ? value.textValue() : null;
    }
}
