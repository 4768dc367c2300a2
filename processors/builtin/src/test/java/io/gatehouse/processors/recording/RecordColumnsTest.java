package io.gatehouse.processors.recording;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.spi.audit.AuditEntry;
import io.gatehouse.store.audit.EventDraft;
import io.gatehouse.store.audit.EventType;
import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The recording hands the audit log its query columns; they must be exactly what the store (and so
 * {@code audit verify}) reads from the written payload, or every record would fail verification.
 */
class RecordColumnsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theColumnsTakenFromTheTreeAreThoseTheStoreReadsFromItsText() throws Exception {
        List<Consumer<ObjectNode>> payloads = List.of(
                p -> p.put("sessionId", "s-1").put("username", "alice").put("decision", "allowed").put("status", 200),
                p -> p.put("username", "x".repeat(256)).put("decision", "d".repeat(257)),
                p -> p.put("status", "200").put("username", 7).putObject("nested").put("sessionId", "s"),
                p -> p.put("status", 200.5).putNull("username").put("decision", true),
                p -> p.put("status", 3_000_000_000L),
                p -> p.put("status", BigInteger.valueOf(404)),
                p -> p.putObject("request").put("username", "inner"),
                p -> p.put("username", "caf\u00e9 \"quoted\"\n").put("status", -1));
        for (Consumer<ObjectNode> fill : payloads) {
            ObjectNode tree = JSON.createObjectNode();
            fill.accept(tree);
            EventDraft read = EventDraft.ofJson(EventType.END, "r", Instant.EPOCH, "chat", JSON.writeValueAsString(tree));

            AuditEntry.Columns given = RecordColumns.of(tree);

            assertThat(given).as(tree.toString()).isEqualTo(
                    new AuditEntry.Columns(read.sessionId(), read.username(), read.decision(), read.status()));
        }
    }
}
