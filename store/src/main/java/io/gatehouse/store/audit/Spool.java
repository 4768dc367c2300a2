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
 * <p>Used by the writer thread only.
 */
final class Spool {

    /** What is in the spool, in order, and how many bytes of a torn tail were cut off. */
    record Contents(List<AuditEvent> events, List<Checkpoint> checkpoints, List<Object> inOrder, long tornBytes) {
        boolean isEmpty() {
            return inOrder.isEmpty();
        }
    }

    private final Path file;
    private FileChannel channel;

    Spool(Path directory, String replicaId) {
        this(directory, "audit-", replicaId);
    }

    /** @param prefix the file name's start: {@code audit-} for the failure spool, {@code journal-} for the journal */
    Spool(Path directory, String prefix, String replicaId) {
        this.file = directory.resolve(prefix + replicaId + ".jsonl");
    }

    private Spool(Path file) {
        this.file = file;
    }

    /** A spool over an existing file, for reading (a sealed journal). */
    static Spool at(Path file) {
        return new Spool(file);
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
        java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream(events.size() * 1024 + 256);
        for (AuditEvent e : events) {
            writeEvent(e, text);
            text.write('\n');
        }
        if (checkpoint != null) {
            text.write(CanonicalJson.write(toJson(checkpoint)).getBytes(StandardCharsets.UTF_8));
            text.write('\n');
        }
        FileChannel ch = channel();
        ByteBuffer buffer = ByteBuffer.wrap(text.toByteArray());
        while (buffer.hasRemaining()) {
            ch.write(buffer);
        }
        ch.force(false);
    }

    private FileChannel channel() throws IOException {
        if (channel == null) {
            Files.createDirectories(file.getParent());
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
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
        while (start < all.length) {
            int newline = indexOf(all, (byte) '\n', start);
            if (newline < 0) {
                break;
            }
            String line = new String(all, start, newline - start, StandardCharsets.UTF_8);
            Object entry;
            try {
                entry = fromJson(CanonicalJson.parse(line));
            } catch (RuntimeException e) {
                break;
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
            g.writeStringField("payload", e.payload());
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

    private static Object fromJson(JsonNode n) {
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
                opt(n, "decision"), n.get("status").isNull() ? null : n.get("status").intValue(), opt(n, "payload"),
                req(n, "digest"), req(n, "prev"), req(n, "hash"));
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
