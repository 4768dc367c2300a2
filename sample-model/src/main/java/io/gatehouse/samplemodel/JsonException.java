package io.gatehouse.samplemodel;

/** Malformed JSON text; the message names what was wrong and the character offset where it was found. */
public final class JsonException extends IllegalArgumentException {

    private final int offset;

    JsonException(String problem, int offset) {
        super(problem + " at offset " + offset);
        this.offset = offset;
    }

    /** Zero-based offset (in UTF-16 chars) of the character where parsing stopped. */
    public int offset() {
        return offset;
    }
}
