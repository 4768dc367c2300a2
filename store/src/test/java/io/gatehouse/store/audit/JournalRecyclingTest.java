package io.gatehouse.store.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** H2's journal starts as a folded one written over: what it reads back is only what was written this time. */
class JournalRecyclingTest {

    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path dir;

    /** Events seq {@code from} to {@code to}, chained from {@code prev}; records of one length, so lines are too. */
    private static List<AuditEvent> chain(long from, long to, String prev) {
        List<AuditEvent> events = new ArrayList<>();
        String hash = prev;
        for (long seq = from; seq <= to; seq++) {
            AuditEvent e = Events.start("rec-" + seq, "chat", T0).place("r", seq, hash);
            events.add(e);
            hash = e.hash();
        }
        return events;
    }

    @Test
    void aJournalWrittenOverARecycledOneReadsOnlyItsNewLinesAndDropsTheOldOnes() throws Exception {
        Spool journal = Spool.journal(dir, "r");
        List<AuditEvent> old = chain(10, 19, Hashes.GENESIS);
        journal.append(old, null);
        Path sealed = journal.seal(0);
        journal.recycle(sealed);
        Path spare = dir.resolve("spare-journal-r.jsonl");
        assertThat(spare).exists();
        long oldSize = Files.size(spare);

        // Lines of the same length as the old ones: the new ones end exactly where an old line starts,
        // so the old lines after them are whole, valid JSON lines of the same replica.
        List<AuditEvent> fresh = chain(20, 21, old.get(old.size() - 1).hash());
        journal.append(fresh, null);
        Path file = dir.resolve("journal-r.jsonl");
        assertThat(spare).as("taken as the new journal").doesNotExist();
        assertThat(Files.size(file)).as("written over, not appended to").isEqualTo(oldSize);
        journal.close();

        Spool.Contents read = Spool.journal(dir, "r").read();
        assertThat(read.events()).extracting(AuditEvent::seq).containsExactly(20L, 21L);
        assertThat(read.events()).extracting(AuditEvent::hash).containsExactlyElementsOf(
                fresh.stream().map(AuditEvent::hash).toList());
        assertThat(Files.size(file)).as("the old lines are cut off once read").isLessThan(oldSize);
        assertThat(Spool.journal(dir, "r").read().events()).extracting(AuditEvent::seq).containsExactly(20L, 21L);
    }

    @Test
    void aSealedJournalThatWasARecycledOneReadsOnlyItsNewLinesToo() throws Exception {
        Spool journal = Spool.journal(dir, "r");
        List<AuditEvent> old = chain(10, 19, Hashes.GENESIS);
        journal.append(old, null);
        journal.recycle(journal.seal(0));
        List<AuditEvent> fresh = chain(20, 22, old.get(old.size() - 1).hash());
        journal.append(fresh, null);
        Path sealed = journal.seal(1);

        assertThat(Spool.at(sealed).read().events()).extracting(AuditEvent::seq).containsExactly(20L, 21L, 22L);
    }

    @Test
    void aCheckpointOfTheHeadContinuesTheChainAndAnOldOneDoesNot() throws Exception {
        Spool journal = Spool.journal(dir, "r");
        List<AuditEvent> events = chain(1, 3, Hashes.GENESIS);
        AuditEvent head = events.get(2);
        Checkpoint ofHead = new Checkpoint("r", 1, head.seq(), head.hash(), 1L, Hashes.GENESIS, "k", "sig");
        journal.append(events, ofHead);
        Checkpoint stale = new Checkpoint("r", 0, 1, events.get(0).hash(), 0L, Hashes.GENESIS, "k", "sig");
        journal.append(List.of(), stale);
        journal.close();

        Spool.Contents read = Spool.journal(dir, "r").read();
        assertThat(read.events()).hasSize(3);
        assertThat(read.checkpoints()).containsExactly(ofHead);
    }

    @Test
    void whenThereIsAlreadyASpareAFoldedJournalIsDeleted() throws Exception {
        Spool journal = Spool.journal(dir, "r");
        journal.append(chain(1, 2, Hashes.GENESIS), null);
        Path first = journal.seal(0);
        Files.copy(first, dir.resolve("journal-r-sealed-9.jsonl"));
        journal.recycle(first);
        journal.recycle(dir.resolve("journal-r-sealed-9.jsonl"));

        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("spare-journal-r.jsonl");
        }
    }

    @Test
    void theFailureSpoolNeverRecyclesAndReadsEveryWholeLine() throws Exception {
        Spool spool = new Spool(dir, "r");
        spool.append(chain(1, 2, Hashes.GENESIS), null);
        spool.append(chain(7, 7, "not-the-head"), null); // not chained: the spool reads it all the same
        spool.close();

        assertThat(new Spool(dir, "r").read().events()).extracting(AuditEvent::seq).containsExactly(1L, 2L, 7L);
    }
}
