package io.gatehouse.store.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The local, append-only fallback of the {@code spool} failure policy: JSON Lines under
 * {@code <dataDirectory>/spool/}, one line per event or checkpoint, already placed in the chain
 * (seq and hashes assigned), {@code fsync}'d once per batch. Drained into the store in order when it
 * answers again. A torn last line (the process died while writing, before the fsync that would have
 * acknowledged it) is cut off on reading; its events were never acknowledged.
 *
 * <p>The same format is H2's journal ({@link #journal}), which differs in one way: a new journal starts
 * as a folded one recycled ({@link #recycle}), written over from its first byte, so its old lines may
 * follow the new ones. Reading a journal therefore stops at the first line that does not continue the
 * chain of the line before it (seq + 1 and the previous hash, or a checkpoint of that head): an old
 * line cannot, since its seq is lower and its hashes are the old chain's. Old lines read before any new
 * one (the process died right after taking the spare) are all in the store already, which skips them.
 *
 * <p>Written by the writer thread only; {@link #recycle} (a rename) may run on another.
 */
final class Spool {

    /** What is in the spool, in order, and how many bytes of a torn tail were cut off. */
    record Contents(List<AuditEvent> events, List<Checkpoint> checkpoints, List<Object> inOrder, long tornBytes) {
        boolean isEmpty() {
            return inOrder.isEmpty();
        }
    }

    /** A spare larger than this (a burst's journal) is not kept: the disk space is not worth it. */
    static final long MAX_SPARE_BYTES = 256L * 1024 * 1024;

    private final Path file;
    /**
     * Journals only: a folded journal kept to be written over ({@link #recycle}), or null. Appending to a
     * new file makes every {@code fdatasync} write the file's inode too (its size grew); writing over
     * blocks a file already has does not. Measured here: 100 vs 50 µs of CPU and 235 vs 135 µs of wall
     * time per 3.5 KB write + {@code fdatasync}.
     */
    private final Path spare;
    /**
     * Journals only: lines are read only while each one continues the chain of the one before (seq + 1,
     * previous hash), so the old lines of a recycled file past the new ones are never read as new.
     */
    private final boolean chained;
    private FileChannel channel;
    private long position;
    /** Made at the first append: most spools are only read. */
    private Lines lines;

    Spool(Path directory, String replicaId) {
        this(directory.resolve("audit-" + replicaId + ".jsonl"), null, false);
    }

    private Spool(Path file, Path spare, boolean chained) {
        this.file = file;
        this.spare = spare;
        this.chained = chained;
    }

    /**
     * The replica's journal under {@code directory}: {@code journal-<replica>.jsonl}, which starts as the
     * recycled spare {@code spare-journal-<replica>.jsonl} when there is one.
     */
    static Spool journal(Path directory, String replicaId) {
        return new Spool(directory.resolve("journal-" + replicaId + ".jsonl"),
                directory.resolve("spare-journal-" + replicaId + ".jsonl"), true);
    }

    /** A sealed journal, for reading. */
    static Spool at(Path file) {
        return new Spool(file, null, true);
    }

    /**
     * Keeps {@code folded}, a sealed journal whose every line the store holds durably, as the spare the
     * next journal starts from; deletes it when there already is a spare.
     */
    void recycle(Path folded) throws IOException {
        if (spare == null) {
            throw new IllegalStateException("only a journal recycles");
        }
        try {
            Files.move(folded, spare, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            if (Files.size(spare) > MAX_SPARE_BYTES) {
                Files.deleteIfExists(spare);
            }
        } catch (java.nio.file.FileAlreadyExistsException one) {
            Files.deleteIfExists(folded);
        }
    }

    /**
     * Closes the file and moves it aside as {@code <name>-sealed-<index>.jsonl}; the next append starts
     * a new file. Returns where it went, or null when there was nothing to seal.
     */
    Path seal(long index) throws IOException {
        close();
        if (!Files.exists(file)) {
            return null;
        }
        String name = file.getFileName().toString();
        Path sealed = file.resolveSibling(name.substring(0, name.length() - ".jsonl".length()) + "-sealed-" + index
                + ".jsonl");
        return Files.move(file, sealed, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The files {@link #seal} left beside this one, oldest first. */
    List<Path> sealedFiles() throws IOException {
        String name = file.getFileName().toString();
        String stem = name.substring(0, name.length() - ".jsonl".length()) + "-sealed-";
        if (!Files.isDirectory(file.getParent())) {
            return List.of();
        }
        List<Path> found = new ArrayList<>();
        try (var listing = Files.list(file.getParent())) {
            listing.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(stem) && n.endsWith(".jsonl")
                        && n.substring(stem.length(), n.length() - ".jsonl".length()).chars().allMatch(Character::isDigit);
            }).forEach(found::add);
        }
        found.sort(java.util.Comparator.comparingLong(p -> {
            String n = p.getFileName().toString();
            return Long.parseLong(n.substring(stem.length(), n.length() - ".jsonl".length()));
        }));
        return found;
    }

    Path file() {
        return file;
    }

    /** Appends and forces to disk; on an exception nothing may be assumed written. */
    void append(List<AuditEvent> events, Checkpoint checkpoint) throws IOException {
        // Streamed straight to UTF-8 (no tree, no canonical ordering): the journal takes every
        // acknowledged batch, so this is on the audit writer's hot path. Lines read back the same.
        if (lines == null) {
            lines = new Lines();
        }
        Lines text = lines;
        text.reset();
        try {
            for (AuditEvent e : events) {
                writeEvent(e, text);
                text.write('\n');
            }
            if (checkpoint != null) {
                text.write(CanonicalJson.write(toJson(checkpoint)).getBytes(StandardCharsets.UTF_8));
                text.write('\n');
            }
            FileChannel ch = channel();
            ByteBuffer buffer = text.view();
            while (buffer.hasRemaining()) {
                position += ch.write(buffer, position);
            }
            ch.force(false);
        } finally {
            if (text.capacity() > Lines.KEPT_BYTES) {
                lines = null; // a burst's buffer is not kept for good
            }
        }
    }

    /**
     * The bytes of one append, kept from batch to batch (appends are the writer thread's alone): a new
     * buffer per batch, grown by copying and copied once more to write it, was the journal's share of the
     * garbage the gateway makes per exchange.
     */
    private static final class Lines extends java.io.ByteArrayOutputStream {
        /** A buffer grown past this by a burst is dropped after its append. */
        static final int KEPT_BYTES = 1024 * 1024;

        Lines() {
            super(64 * 1024);
        }

        ByteBuffer view() {
            return ByteBuffer.wrap(buf, 0, count);
        }

        int capacity() {
            return buf.length;
        }
    }

    /**
     * Opens the file for writing at the end of what it holds; a journal that does not exist yet starts
     * as the spare, written over from its first byte.
     */
    private FileChannel channel() throws IOException {
        if (channel == null) {
            Files.createDirectories(file.getParent());
            boolean recycled = false;
            if (spare != null && !Files.exists(file)) {
                try {
                    Files.move(spare, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    recycled = true;
                } catch (java.nio.file.NoSuchFileException noSpare) {
                    // a new, empty file
                }
            }
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            position = recycled ? 0 : channel.size();
        }
        return channel;
    }

    /** Reads everything, cutting off (and counting) a torn tail. */
    Contents read() throws IOException {
        if (!Files.exists(file)) {
            return new Contents(List.of(), List.of(), List.of(), 0);
        }
        byte[] all = Files.readAllBytes(file);
        List<AuditEvent> events = new ArrayList<>();
        List<Checkpoint> checkpoints = new ArrayList<>();
        List<Object> inOrder = new ArrayList<>();
        int start = 0;
        long good = 0;
        long lastSeq = -1;
        String lastHash = null;
        while (start < all.length) {
            int newline = indexOf(all, (byte) '\n', start);
            if (newline < 0) {
                break;
            }
            String line = new String(all, start, newline - start, StandardCharsets.UTF_8);
            Object entry;
            try {
                entry = fromJson(line, CanonicalJson.parse(line));
            } catch (RuntimeException e) {
                break;
            }
            if (chained && lastHash != null && !continues(entry, lastSeq, lastHash)) {
                break; // an older line of a recycled journal: what was written this time ends here
            }
            if (entry instanceof AuditEvent e) {
                lastSeq = e.seq();
                lastHash = e.hash();
            }
            if (entry instanceof AuditEvent e) {
                events.add(e);
            } else {
                checkpoints.add((Checkpoint) entry);
            }
            inOrder.add(entry);
            start = newline + 1;
            good = start;
        }
        long torn = all.length - good;
        if (torn > 0) {
            close();
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(good);
                ch.force(true);
            }
        }
        return new Contents(events, checkpoints, inOrder, torn);
    }

    /** Whether {@code entry} follows the event {@code lastSeq} with hash {@code lastHash} in the chain. */
    private static boolean continues(Object entry, long lastSeq, String lastHash) {
        if (entry instanceof AuditEvent e) {
            return e.seq() == lastSeq + 1 && lastHash.equals(e.prevHash());
        }
        Checkpoint c = (Checkpoint) entry;
        return c.chainSeq() == lastSeq && lastHash.equals(c.chainHash());
    }

    /** Empties the spool once everything in it is in the store. */
    void clear() throws IOException {
        close();
        Files.deleteIfExists(file);
    }

    void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static final com.fasterxml.jackson.core.JsonFactory JSON = new com.fasterxml.jackson.core.JsonFactory();

    private static void writeEvent(AuditEvent e, java.io.OutputStream out) throws IOException {
        try (com.fasterxml.jackson.core.JsonGenerator g = JSON.createGenerator(out)) {
            g.disable(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.writeStartObject();
            g.writeStringField("k", "e");
            g.writeStringField("replica", e.replicaId());
            g.writeNumberField("seq", e.seq());
            g.writeStringField("type", e.type());
            g.writeStringField("recordId", e.recordId());
            g.writeNumberField("time", e.timeMicros());
            g.writeStringField("endpoint", e.endpointId());
            g.writeStringField("sessionId", e.sessionId());
            g.writeStringField("username", e.username());
            g.writeStringField("decision", e.decision());
            if (e.status() == null) {
                g.writeNullField("status");
            } else {
                g.writeNumberField("status", e.status());
            }
            if (embedsRaw(e.payload())) {
                // The payload is a JSON object already: copied as it is, not escaped into a string (that
                // escaping was a tenth of the writer thread's time under load). Read back as the exact text.
                g.writeFieldName(RAW_PAYLOAD);
                g.writeRawValue(e.payload());
            } else {
                g.writeStringField("payload", e.payload());
            }
            g.writeStringField("digest", e.payloadDigest());
            g.writeStringField("prev", e.prevHash());
            g.writeStringField("hash", e.hash());
            g.writeEndObject();
        }
    }

    private static ObjectNode toJson(Checkpoint c) {
        ObjectNode n = CanonicalJson.object();
        n.put("k", "c").put("replica", c.replicaId()).put("number", c.number()).put("chainSeq", c.chainSeq())
                .put("chainHash", c.chainHash()).put("createdAt", c.createdAtMicros()).put("prev", c.prevDigest())
                .put("keyId", c.keyId()).put("signature", c.signature());
        return n;
    }

    /** The field that holds a payload as the JSON object it is ({@code payload} holds one as a string). */
    static final String RAW_PAYLOAD = "payloadJson";

    /**
     * Whether {@code payload} can be embedded as it is: an object from its first character to its last (any
     * whitespace around it would not survive being read back) and on one line. Payloads are checked to be one
     * JSON object when they are appended ({@link EventDraft}).
     */
    static boolean embedsRaw(String payload) {
        return payload != null && payload.length() >= 2 && payload.charAt(0) == '{'
                && payload.charAt(payload.length() - 1) == '}' && payload.indexOf('\n') < 0
                && payload.indexOf('\r') < 0;
    }

    /** The exact text of the top-level object field {@code field} of the JSON object {@code line}. */
    static String rawField(String line, String field) {
        try (com.fasterxml.jackson.core.JsonParser p = JSON.createParser(line)) {
            if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a spool line");
            }
            while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                String name = p.currentName();
                com.fasterxml.jackson.core.JsonToken value = p.nextToken();
                if (name.equals(field) && value == com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                    int from = (int) p.currentTokenLocation().getCharOffset();
                    p.skipChildren();
                    int to = (int) p.currentTokenLocation().getCharOffset() + 1;
                    return line.substring(from, to);
                }
                p.skipChildren();
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("not a spool line: " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("spool line without " + field);
    }

    private static Object fromJson(String line, JsonNode n) {
        if ("c".equals(n.path("k").asText())) {
            return new Checkpoint(req(n, "replica"), n.get("number").longValue(), n.get("chainSeq").longValue(),
                    req(n, "chainHash"), n.get("createdAt").longValue(), req(n, "prev"), req(n, "keyId"),
                    req(n, "signature"));
        }
        if (!"e".equals(n.path("k").asText())) {
            throw new IllegalArgumentException("unknown spool line");
        }
        return new AuditEvent(req(n, "replica"), n.get("seq").longValue(), req(n, "type"), req(n, "recordId"),
                n.get("time").longValue(), req(n, "endpoint"), opt(n, "sessionId"), opt(n, "username"),
                opt(n, "decision"), n.get("status").isNull() ? null : n.get("status").intValue(),
                n.has(RAW_PAYLOAD) ? rawField(line, RAW_PAYLOAD) : opt(n, "payload"), req(n, "digest"), req(n, "prev"),
                req(n, "hash"));
    }

    private static String req(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("spool line without " + field);
        }
        return v.textValue();
    }

    private static String opt(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.textValue();
    }
}
