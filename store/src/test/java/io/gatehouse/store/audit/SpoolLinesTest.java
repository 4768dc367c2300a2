package io.gatehouse.store.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A spool or journal line gives back each event's payload exactly as it was written: the chain hashes it. */
class SpoolLinesTest {

    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path dir;

    private static List<AuditEvent> chain(List<String> payloads) {
        List<AuditEvent> events = new ArrayList<>();
        String prev = Hashes.GENESIS;
        long seq = 1;
        for (String payload : payloads) {
            String text = payload == null ? "{}" : payload;
            EventDraft draft = new EventDraft(EventType.START, "rec-" + seq, EventDraft.micros(T0), "chat", null, null,
                    null, null, text, Hashes.sha256Hex(text));
            AuditEvent e = draft.place("r", seq++, prev);
            if (payload == null) { // content removed by retention: the event keeps its digest, not its payload
                e = new AuditEvent(e.replicaId(), e.seq(), e.type(), e.recordId(), e.timeMicros(), e.endpointId(),
                        e.sessionId(), e.username(), e.decision(), e.status(), null, e.payloadDigest(), e.prevHash(),
                        e.hash());
            }
            events.add(e);
            prev = e.hash();
        }
        return events;
    }

    @Test
    void payloadsThatAreOneLineObjectsAreEmbeddedAsJsonAndReadBackToTheCharacter() throws Exception {
        List<String> payloads = List.of(
                "{\"a\":1}",
                "{\"text\":\"a } b { c \\\" d \\\\\",\"nested\":{\"x\":[1,{\"y\":\"}\"}]}}",
                "{\"text\":\"caf\u00e9 \ud83d\ude00 \u2028 \\u0000 \\n\"}",
                "{ \"spaced\" : [ 1 , 2 ] ,\t\"kept\": true }",
                "{}");
        Spool journal = Spool.journal(dir, "r");
        journal.append(chain(payloads), null);
        journal.close();

        String text = Files.readString(dir.resolve("journal-r.jsonl"), StandardCharsets.UTF_8);
        Spool.Contents read = Spool.journal(dir, "r").read();

        assertThat(text.lines()).allMatch(line -> line.contains("\"" + Spool.RAW_PAYLOAD + "\":{"));
        assertThat(read.events()).extracting(AuditEvent::payload).containsExactlyElementsOf(payloads);
        assertThat(read.tornBytes()).isZero();
    }

    @Test
    void payloadsThatWouldNotSurviveEmbeddingAreWrittenAsStringsAndReadBackToo() throws Exception {
        List<String> payloads = new ArrayList<>();
        payloads.add(" {\"leading\":\"space\"}");
        payloads.add("{\"trailing\":\"space\"} ");
        payloads.add("{\n  \"multi\": \"line\"\n}");
        payloads.add("{\r\n}");
        payloads.add(null);
        Spool spool = new Spool(dir, "r");
        spool.append(chain(payloads), null);
        spool.close();

        String text = Files.readString(dir.resolve("audit-r.jsonl"), StandardCharsets.UTF_8);
        Spool.Contents read = new Spool(dir, "r").read();

        assertThat(text).doesNotContain(Spool.RAW_PAYLOAD);
        assertThat(read.events()).extracting(AuditEvent::payload).containsExactlyElementsOf(payloads);
    }

    @Test
    void aJournalWrittenBeforePayloadsWereEmbeddedIsStillRead() throws Exception {
        AuditEvent e = chain(List.of("{\"a\":\"b\"}")).get(0);
        String line = "{\"k\":\"e\",\"replica\":\"r\",\"seq\":1,\"type\":\"start\",\"recordId\":\"rec-1\",\"time\":"
                + e.timeMicros() + ",\"endpoint\":\"chat\",\"sessionId\":null,\"username\":null,\"decision\":null,"
                + "\"status\":null,\"payload\":\"{\\\"a\\\":\\\"b\\\"}\",\"digest\":\"" + e.payloadDigest()
                + "\",\"prev\":\"" + e.prevHash() + "\",\"hash\":\"" + e.hash() + "\"}\n";
        Files.writeString(dir.resolve("journal-r.jsonl"), line, StandardCharsets.UTF_8);

        Spool.Contents read = Spool.journal(dir, "r").read();

        assertThat(read.events()).containsExactly(e);
    }

    @Test
    void aTornEmbeddedPayloadIsCutOffLikeAnyTornLine() throws Exception {
        Spool journal = Spool.journal(dir, "r");
        journal.append(chain(List.of("{\"a\":1}", "{\"b\":{\"c\":2}}")), null);
        journal.close();
        Path file = dir.resolve("journal-r.jsonl");
        String text = Files.readString(file, StandardCharsets.UTF_8);
        // The process died inside the second line's payload (no newline after it).
        Files.writeString(file, text.substring(0, text.indexOf("{\"b\"") + 5), StandardCharsets.UTF_8);

        Spool.Contents read = Spool.journal(dir, "r").read();

        assertThat(read.events()).extracting(AuditEvent::payload).containsExactly("{\"a\":1}");
        assertThat(read.tornBytes()).isPositive();
    }
}
