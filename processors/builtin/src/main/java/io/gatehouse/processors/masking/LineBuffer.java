package io.gatehouse.processors.masking;

/**
 * The bytes of a stream not yet framed into events or lines, bounded: a frame larger than the limit ends
 * the stream (fail closed) instead of growing the buffer. Not thread-safe.
 */
final class LineBuffer {

    private final long limit;
    private final String what;
    private byte[] bytes = new byte[1024];
    private int length;

    /** @param what the frame, for the message: {@code an SSE event}, {@code an NDJSON line} */
    LineBuffer(long limit, String what) {
        this.limit = limit;
        this.what = what;
    }

    void append(byte[] chunk) {
        if (length + (long) chunk.length > bytes.length) {
            long wanted = Math.max((long) bytes.length * 2, length + (long) chunk.length);
            if (wanted > Integer.MAX_VALUE - 8) {
                throw tooLarge();
            }
            bytes = java.util.Arrays.copyOf(bytes, (int) wanted);
        }
        System.arraycopy(chunk, 0, bytes, length, chunk.length);
        length += chunk.length;
    }

    byte[] bytes() {
        return bytes;
    }

    int length() {
        return length;
    }

    /** Drops the first {@code n} bytes (frames already handled). */
    void consume(int n) {
        System.arraycopy(bytes, n, bytes, 0, length - n);
        length -= n;
    }

    /** Fails when the unframed rest is larger than the limit. */
    void checkPending(int from) {
        if (length - from > limit) {
            throw tooLarge();
        }
    }

    private MaskingException tooLarge() {
        return new MaskingException(what + " is larger than masking.maxEventBytes (" + limit
                + " bytes), so the stream was cut");
    }
}
