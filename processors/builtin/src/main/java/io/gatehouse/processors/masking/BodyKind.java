package io.gatehouse.processors.masking;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** How a body is read for masking, from its {@code Content-Type}. */
enum BodyKind {
    /** {@code text/event-stream}. */
    SSE,
    /** {@code application/x-ndjson} and kin, and a JSON body that arrives as a stream. */
    NDJSON,
    /** A whole JSON document. */
    JSON,
    /** Any other text. */
    TEXT,
    /** Images, audio, octet streams, protobuf: not masked. */
    BINARY;

    static BodyKind of(String contentType, boolean streamed, byte[] wholeBody) {
        if (contentType == null || contentType.isBlank()) {
            if (!streamed && wholeBody != null && startsLikeJson(wholeBody)) {
                return JSON;
            }
            return TEXT;
        }
        String type = mimeType(contentType);
        if (type.equals("text/event-stream")) {
            return SSE;
        }
        if (type.equals("application/x-ndjson") || type.equals("application/ndjson") || type.equals("application/jsonl")
                || type.equals("application/json-lines") || type.equals("application/x-jsonlines")) {
            return NDJSON;
        }
        if (type.equals("application/json") || type.endsWith("+json")) {
            return streamed ? NDJSON : JSON;
        }
        if (type.startsWith("text/") || type.equals("application/xml") || type.endsWith("+xml")
                || type.equals("application/javascript") || type.equals("application/x-www-form-urlencoded")) {
            return TEXT;
        }
        return BINARY;
    }

    /** The charset parameter, UTF-8 when absent. */
    static Charset charset(String contentType) {
        if (contentType != null) {
            for (String param : contentType.split(";")) {
                String p = param.trim();
                if (p.toLowerCase(Locale.ROOT).startsWith("charset=")) {
                    String name = p.substring("charset=".length()).replace("\"", "").trim();
                    try {
                        return Charset.forName(name);
                    } catch (RuntimeException e) {
                        throw new MaskingException("the body's charset '" + name + "' is unknown, so it cannot be masked");
                    }
                }
            }
        }
        return StandardCharsets.UTF_8;
    }

    static String mimeType(String contentType) {
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    private static boolean startsLikeJson(byte[] body) {
        for (byte b : body) {
            if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
                continue;
            }
            return b == '{' || b == '[';
        }
        return false;
    }
}
