package io.gatehouse.processors.recording;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.spi.Headers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Keeps credentials out of a record. Values of the redacted headers are replaced by
 * {@code [redacted]}; and since a caller may repeat a credential elsewhere (a query parameter, the
 * body, an echo in the answer), every literal occurrence of those values, and of the credential
 * part of {@code Authorization} ({@code Bearer <token>}), is replaced wherever the record holds
 * text. Values shorter than {@value #MIN_SECRET} characters are too common to hunt.
 */
final class Scrubber {

    static final String REDACTED = "[redacted]";
    static final byte[] REDACTED_BYTES = REDACTED.getBytes(StandardCharsets.UTF_8);
    static final int MIN_SECRET = 8;

    private final List<String> redactedNames;
    private final List<byte[]> secrets;
    /** The same secrets as text, for {@link #text}: decoding them per call was a kilobyte of garbage per header. */
    private final List<String> secretTexts;
    /** The shortest secret's length in chars: a shorter text cannot hold one. */
    private final int shortest;

    private Scrubber(List<String> redactedNames, List<String> secretTexts) {
        this.redactedNames = redactedNames;
        this.secretTexts = secretTexts;
        List<byte[]> bytes = new ArrayList<>(secretTexts.size());
        int min = Integer.MAX_VALUE;
        for (String s : secretTexts) {
            bytes.add(s.getBytes(StandardCharsets.UTF_8));
            min = Math.min(min, s.length());
        }
        this.secrets = bytes;
        this.shortest = min;
    }

    /** The secrets of one request: the values of its redacted headers and their credential parts. */
    static Scrubber of(Headers requestHeaders, List<String> redactedNames) {
        // A list, not a set: a request has a handful of secrets, and hashing each (a bearer token is a
        // kilobyte) cost more than comparing them, per request.
        List<String> found = new ArrayList<>(4);
        for (String name : redactedNames) {
            for (String value : requestHeaders.all(name)) {
                collect(name, value, found);
            }
        }
        // Longest first, so a token inside a longer header value is not left half-replaced.
        found.sort((a, b) -> b.length() - a.length());
        return new Scrubber(redactedNames, found);
    }

    private static void collect(String name, String value, List<String> found) {
        String v = value.trim();
        add(v, found);
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.equals("authorization") || lower.equals("proxy-authorization")) {
            int space = v.indexOf(' ');
            if (space > 0) {
                add(v.substring(space + 1).trim(), found);
            }
        } else if (lower.equals("cookie") || lower.equals("set-cookie")) {
            for (String pair : v.split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    add(pair.substring(eq + 1).trim(), found);
                }
            }
        }
    }

    /** Adds a secret once; values shorter than {@value #MIN_SECRET} characters are too common to hunt. */
    private static void add(String secret, List<String> found) {
        if (secret.length() >= MIN_SECRET && !found.contains(secret)) {
            found.add(secret);
        }
    }

    /** The headers as a JSON object of name to values, redacted and scrubbed. */
    ObjectNode headers(Headers headers, ObjectNode into) {
        for (Map.Entry<String, List<String>> h : headers.toMap().entrySet()) {
            ArrayNode values = into.putArray(h.getKey());
            boolean redacted = redactedNames.contains(h.getKey().toLowerCase(Locale.ROOT));
            for (String v : h.getValue()) {
                values.add(redacted ? REDACTED : text(v));
            }
        }
        return into;
    }

    /** The text with every secret replaced. */
    String text(String text) {
        if (secretTexts.isEmpty() || text.length() < shortest) {
            return text;
        }
        String out = text;
        for (String s : secretTexts) {
            out = out.replace(s, REDACTED);
        }
        return out;
    }

    /** The bytes with every secret replaced. */
    byte[] bytes(byte[] bytes) {
        byte[] out = bytes;
        for (byte[] s : secrets) {
            out = replace(out, s);
        }
        return out;
    }

    /**
     * Replaces secrets in a sequence of chunks, also where one spans two chunks: the replacement
     * goes into the chunk where the secret starts; the rest of it is dropped from the chunks after.
     */
    List<byte[]> chunks(List<byte[]> chunks) {
        if (secrets.isEmpty() || chunks.isEmpty()) {
            return chunks;
        }
        int total = chunks.stream().mapToInt(c -> c.length).sum();
        byte[] all = new byte[total];
        int[] starts = new int[chunks.size() + 1];
        int at = 0;
        for (int i = 0; i < chunks.size(); i++) {
            starts[i] = at;
            System.arraycopy(chunks.get(i), 0, all, at, chunks.get(i).length);
            at += chunks.get(i).length;
        }
        starts[chunks.size()] = total;
        boolean[] covered = new boolean[total];
        boolean[] startsSecret = new boolean[total];
        boolean any = false;
        for (byte[] s : secrets) {
            for (int i = indexOf(all, s, 0); i >= 0; i = indexOf(all, s, i + s.length)) {
                if (covered[i]) {
                    continue;
                }
                startsSecret[i] = true;
                for (int k = i; k < i + s.length; k++) {
                    covered[k] = true;
                }
                any = true;
            }
        }
        if (!any) {
            return chunks;
        }
        List<byte[]> out = new ArrayList<>(chunks.size());
        for (int c = 0; c < chunks.size(); c++) {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            for (int k = starts[c]; k < starts[c + 1]; k++) {
                if (startsSecret[k]) {
                    b.writeBytes(REDACTED_BYTES);
                } else if (!covered[k]) {
                    b.write(all[k]);
                }
            }
            out.add(b.toByteArray());
        }
        return out;
    }

    private static byte[] replace(byte[] haystack, byte[] needle) {
        int i = indexOf(haystack, needle, 0);
        if (i < 0) {
            return haystack;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(haystack.length);
        int from = 0;
        while (i >= 0) {
            out.write(haystack, from, i - from);
            out.writeBytes(REDACTED_BYTES);
            from = i + needle.length;
            i = indexOf(haystack, needle, from);
        }
        out.write(haystack, from, haystack.length - from);
        return out.toByteArray();
    }

    static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
