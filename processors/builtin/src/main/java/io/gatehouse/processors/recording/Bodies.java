package io.gatehouse.processors.recording;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * How a body goes into a record: JSON fields redacted, secrets scrubbed, cut at the configured
 * size (the original size is noted), then kept as text when it is UTF-8 and as base64 otherwise.
 */
final class Bodies {

    static final ObjectMapper JSON = new ObjectMapper();

    private Bodies() {
    }

    /** The body's record: {@code size}, {@code truncated}, {@code redactions}, and {@code text} or {@code base64}. */
    static ObjectNode record(byte[] original, long maxBytes, JsonRedactor redactor, Scrubber scrubber) {
        return record(original.length, original, maxBytes, redactor, scrubber);
    }

    /**
     * The record of a body of {@code size} bytes whose stored form is {@code stored} (the body itself, or
     * its masked form): JSON fields redacted, secrets scrubbed, then cut to {@code maxBytes}.
     */
    static ObjectNode record(long size, byte[] stored, long maxBytes, JsonRedactor redactor, Scrubber scrubber) {
        ObjectNode node = JSON.createObjectNode();
        node.put("size", size);
        byte[] bytes = stored;
        int redactions = 0;
        if (!redactor.isEmpty() && looksLikeJson(bytes)) {
            try {
                JsonNode tree = JSON.readTree(bytes);
                redactions = redactor.redact(tree);
                if (redactions > 0) {
                    bytes = JSON.writeValueAsBytes(tree);
                }
            } catch (java.io.IOException notJson) {
                // recorded as it came
            }
        }
        bytes = scrubber.bytes(bytes);
        boolean truncated = bytes.length > maxBytes;
        if (truncated) {
            bytes = cut(bytes, (int) maxBytes);
        }
        node.put("truncated", truncated);
        if (redactions > 0) {
            node.put("redactions", redactions);
        }
        encode(bytes, node);
        return node;
    }

    /** The record of a body none of whose bytes are stored: its size and why. */
    static ObjectNode omitted(long size) {
        ObjectNode node = JSON.createObjectNode();
        node.put("size", size);
        node.put("omitted", StoredMasking.OMITTED);
        return node;
    }

    /** Puts {@code text} (UTF-8) or {@code base64} into {@code node}. */
    static void encode(byte[] bytes, ObjectNode node) {
        String text = utf8(bytes);
        if (text != null) {
            node.put("text", text);
        } else {
            node.put("base64", Base64.getEncoder().encodeToString(bytes));
        }
    }

    static String utf8(byte[] bytes) {
        if (ascii(bytes)) {
            return new String(bytes, StandardCharsets.US_ASCII); // no decoder, no char buffer: most bodies are ASCII
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static boolean ascii(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    /** The first {@code max} bytes, backed off to a UTF-8 character boundary when the text is UTF-8. */
    static byte[] cut(byte[] bytes, int max) {
        int end = Math.min(max, bytes.length);
        // A cut before a continuation byte (10xxxxxx) splits a character: cut before its lead byte instead.
        int e = end;
        while (e > 0 && e < bytes.length && end - e < 3 && (bytes[e] & 0xC0) == 0x80) {
            e--;
        }
        if (e < bytes.length && (bytes[e] & 0xC0) != 0x80) {
            end = e;
        }
        return Arrays.copyOf(bytes, end);
    }

    static boolean looksLikeJson(byte[] bytes) {
        for (byte b : bytes) {
            if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
                continue;
            }
            return b == '{' || b == '[';
        }
        return false;
    }

    /**
     * Redacts the JSON of each {@code data:} line of an event-stream chunk. Lines split across
     * chunks are left as they are (the masking step holds bytes back; the recording does not).
     *
     * @return the chunk, rewritten when something was redacted, and the count in {@code counter[0]}
     */
    static byte[] redactEventStream(byte[] chunk, JsonRedactor redactor, int[] counter) {
        if (redactor.isEmpty()) {
            return chunk;
        }
        String text = utf8(chunk);
        if (text == null || !text.contains("data:")) {
            return chunk;
        }
        StringBuilder out = new StringBuilder(text.length());
        boolean changed = false;
        for (String line : text.split("(?<=\n)", -1)) {
            String body = line.endsWith("\n") ? line.substring(0, line.length() - 1) : line;
            String cr = body.endsWith("\r") ? "\r" : "";
            body = cr.isEmpty() ? body : body.substring(0, body.length() - 1);
            if (body.startsWith("data:") && looksLikeJson(body.substring(5).getBytes(StandardCharsets.UTF_8))) {
                try {
                    JsonNode tree = JSON.readTree(body.substring(5));
                    int n = redactor.redact(tree);
                    if (n > 0) {
                        counter[0] += n;
                        changed = true;
                        out.append("data: ").append(JSON.writeValueAsString(tree)).append(cr)
                                .append(line.endsWith("\n") ? "\n" : "");
                        continue;
                    }
                } catch (JsonProcessingException notJson) {
                    // kept as it is
                }
            }
            out.append(line);
        }
        return changed ? out.toString().getBytes(StandardCharsets.UTF_8) : chunk;
    }
}
