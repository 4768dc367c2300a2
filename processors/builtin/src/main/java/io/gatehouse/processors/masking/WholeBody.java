package io.gatehouse.processors.masking;

import io.gatehouse.spi.ChunkTransformer;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The transformer of a body that is not streamed: collects it (it is whole and bounded anyway) and hands
 * out its masked form at the end. When the body was masked ahead of time (so its count could go in a
 * header) and arrives unchanged, the masked form computed then is used.
 */
final class WholeBody implements ChunkTransformer {

    private final byte[] original;
    private final byte[] masked;
    private final Supplier<ChunkTransformer> masking;
    private final Consumer<byte[]> handedOn;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();

    /**
     * @param original the body masked ahead of time, or null
     * @param masked   its masked form, or null
     * @param masking  makes the transformer that masks any other body
     * @param handedOn told the masked body this transformer hands on
     */
    WholeBody(byte[] original, byte[] masked, Supplier<ChunkTransformer> masking, Consumer<byte[]> handedOn) {
        this.original = original;
        this.masked = masked;
        this.masking = masking;
        this.handedOn = handedOn;
    }

    @Override
    public byte[] onChunk(byte[] chunk) {
        received.writeBytes(chunk);
        return EMPTY;
    }

    @Override
    public byte[] onEnd() {
        byte[] body = received.toByteArray();
        byte[] out = original != null && Arrays.equals(body, original) ? masked : run(masking.get(), body);
        handedOn.accept(out);
        return out;
    }

    /** Runs a transformer over a whole body: one chunk, then the end. */
    static byte[] run(ChunkTransformer transformer, byte[] body) {
        byte[] head = transformer.onChunk(body);
        byte[] tail = transformer.onEnd();
        if (tail.length == 0) {
            return head;
        }
        byte[] all = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }
}
