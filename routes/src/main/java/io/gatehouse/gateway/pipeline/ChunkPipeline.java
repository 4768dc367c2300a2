package io.gatehouse.gateway.pipeline;

import io.gatehouse.spi.ChunkObserver;
import io.gatehouse.spi.ChunkTransformer;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transformers and observers attached to one response body, applied chunk by chunk. Calls for
 * one body are sequential (the stream delivers one chunk at a time), so no locking is needed.
 */
public final class ChunkPipeline {

    private static final Logger LOG = LoggerFactory.getLogger(ChunkPipeline.class);

    private final List<ChunkTransformer> transformers = new CopyOnWriteArrayList<>();
    private final List<ChunkObserver> observers = new CopyOnWriteArrayList<>();
    private volatile boolean ended;

    void addTransformer(ChunkTransformer transformer) {
        transformers.add(java.util.Objects.requireNonNull(transformer, "transformer"));
    }

    void addObserver(ChunkObserver observer) {
        observers.add(java.util.Objects.requireNonNull(observer, "observer"));
    }

    public boolean hasTransformers() {
        return !transformers.isEmpty();
    }

    /** Runs one upstream chunk through every transformer; the result may be empty (held back). */
    public byte[] apply(byte[] chunk) {
        byte[] current = chunk;
        for (ChunkTransformer t : transformers) {
            if (current.length == 0) {
                return current;
            }
            current = nonNull(t.onChunk(current), t);
        }
        return current;
    }

    /**
     * The body ended upstream: flushes what each transformer held back, passing each flush through
     * the transformers after it.
     */
    public byte[] finish() {
        byte[] carry = ChunkTransformer.EMPTY;
        for (ChunkTransformer t : transformers) {
            byte[] passed = carry.length == 0 ? carry : nonNull(t.onChunk(carry), t);
            byte[] flushed = nonNull(t.onEnd(), t);
            carry = concat(passed, flushed);
        }
        return carry;
    }

    /** Tells observers the client was sent these bytes. */
    public void sent(byte[] bytes) {
        if (bytes.length == 0) {
            return;
        }
        for (ChunkObserver o : observers) {
            try {
                o.onChunk(bytes);
            } catch (RuntimeException e) {
                LOG.warn("chunk observer {} failed; ignoring it for this chunk", o.getClass().getName(), e);
            }
        }
    }

    /** Tells observers the body is over; only the first call counts. */
    public void ended(Throwable error) {
        if (ended) {
            return;
        }
        ended = true;
        for (ChunkObserver o : observers) {
            try {
                o.onEnd(error);
            } catch (RuntimeException e) {
                LOG.warn("chunk observer {} failed at end of body", o.getClass().getName(), e);
            }
        }
    }

    private static byte[] nonNull(byte[] bytes, ChunkTransformer t) {
        if (bytes == null) {
            throw new IllegalStateException("chunk transformer " + t.getClass().getName() + " returned null");
        }
        return bytes;
    }

    static byte[] concat(byte[] a, byte[] b) {
        if (a.length == 0) {
            return b;
        }
        if (b.length == 0) {
            return a;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(a.length + b.length);
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }
}
