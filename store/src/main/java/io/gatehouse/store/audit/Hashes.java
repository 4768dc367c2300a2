package io.gatehouse.store.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The hash chain. Each event's hash is SHA-256 over the canonical JSON array
 * {@code ["gatehouse-audit-v1", replica, seq, type, recordId, timeMicros, endpoint, payloadDigest,
 * prevHash]}; the payload digest is SHA-256 of the payload's UTF-8 bytes. Hashing the digest rather
 * than the payload lets retention remove a payload while the chain still verifies.
 */
public final class Hashes {

    /** The previous hash of a chain's first event. */
    public static final String GENESIS = "0".repeat(64);
    static final String VERSION = "gatehouse-audit-v1";

    private static final HexFormat HEX = HexFormat.of();

    private Hashes() {
    }

    public static String sha256Hex(String text) {
        return sha256Hex(text.getBytes(StandardCharsets.UTF_8));
    }

    public static String sha256Hex(byte[] bytes) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The hash of one chain entry. */
    public static String entryHash(String replica, long seq, String type, String recordId, long timeMicros,
                                   String endpoint, String payloadDigest, String prevHash) {
        // Written straight to Jackson's generator, as CanonicalJson.write would write the same array as a
        // tree (byte for byte: HashesTest), without building the tree for every event on the writer thread.
        StringWriter out = new StringWriter(320);
        try (JsonGenerator g = CanonicalJson.MAPPER.getFactory().createGenerator(out)) {
            g.writeStartArray();
            g.writeString(VERSION);
            g.writeString(replica);
            g.writeNumber(seq);
            g.writeString(type);
            g.writeString(recordId);
            g.writeNumber(timeMicros);
            g.writeString(endpoint);
            g.writeString(payloadDigest);
            g.writeString(prevHash);
            g.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sha256Hex(out.toString());
    }
}
