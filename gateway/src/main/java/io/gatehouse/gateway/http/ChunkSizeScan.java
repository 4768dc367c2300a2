package io.gatehouse.gateway.http;

import io.netty.buffer.ByteBuf;

/**
 * Reads ahead of Netty's decoder through a chunked body and checks each chunk-size line before Netty
 * parses it. Why: Netty 4.1's {@code getChunkSize} accumulates hex digits in an {@code int} and only
 * checks for a negative result, so a size of 2^32 + 5 ({@code 100000005}) wraps to 5 and
 * {@code 100000000} to 0 — a last chunk — and the bytes after it are read as the next request. A size
 * line with more than 8 significant hex digits, or above 2^31 - 1, or with no digit, is refused here.
 * One per chunked message; positions are kept relative to the decoder's reader index.
 */
final class ChunkSizeScan {

    private enum State { SIZE, DATA, TRAILER, DONE }

    /** Longer size lines are left to Netty, which refuses them as too long. */
    private static final int MAX_LINE = GatewayRequestDecoder.MAX_INITIAL_LINE;

    private State state = State.SIZE;
    private long remaining;
    private int validated;

    /** @return why the next chunk-size line is refused, or null when every complete one so far is sound */
    String check(ByteBuf buffer) {
        int i = buffer.readerIndex() + validated;
        int end = buffer.writerIndex();
        loop:
        while (i < end) {
            switch (state) {
                case SIZE, TRAILER -> {
                    int lf = buffer.indexOf(i, Math.min(end, i + MAX_LINE + 2), (byte) '\n');
                    if (lf < 0) {
                        break loop;
                    }
                    if (state == State.SIZE) {
                        String error = size(buffer, i, lf);
                        if (error != null) {
                            return error;
                        }
                    } else if (lf == i || lf == i + 1 && buffer.getByte(i) == '\r') {
                        state = State.DONE;
                    }
                    i = lf + 1;
                }
                case DATA -> {
                    long n = Math.min(remaining, end - i);
                    i += (int) n;
                    remaining -= n;
                    if (remaining == 0) {
                        state = State.SIZE;
                    }
                }
                case DONE -> {
                    break loop;
                }
                default -> throw new IllegalStateException(state.name());
            }
        }
        validated = i - buffer.readerIndex();
        return null;
    }

    /** Netty consumed {@code n} bytes from the reader index. */
    void consumed(int n) {
        validated = Math.max(0, validated - n);
    }

    private String size(ByteBuf buffer, int from, int lf) {
        long value = 0;
        int significant = 0;
        boolean digits = false;
        for (int i = from; i < lf; i++) {
            int digit = Character.digit((char) buffer.getByte(i), 16);
            if (digit < 0) {
                break; // ';' extension, CR, or a bad byte Netty refuses itself
            }
            digits = true;
            if (significant > 0 || digit > 0) {
                significant++;
            }
            if (significant > 8) {
                return "a chunk size has more than 8 hex digits";
            }
            value = value * 16 + digit;
        }
        if (!digits) {
            return "a chunk-size line has no hex digit";
        }
        if (value > Integer.MAX_VALUE) {
            return "a chunk size is over 2^31 - 1 bytes";
        }
        if (value == 0) {
            state = State.TRAILER;
        } else {
            state = State.DATA;
            remaining = value + 2;
        }
        return null;
    }
}
