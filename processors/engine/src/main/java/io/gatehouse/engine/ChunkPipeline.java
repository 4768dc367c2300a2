package io.gatehouse.engine;

import io.gatehouse.spi.ChunkObserver;
import io.gatehouse.spi.ChunkTransformer;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transformers and observers attached to one response body, applied chunk by chunk.
 *
 * <p>Transformers run in attach order (the response phase runs in reverse pipeline order, so the
 * step nearest the client transforms last); bytes a transformer flushes at the end pass through the
 * transformers after it. Empty results (bytes held back) reach neither the client nor the observers.
 * Observers see exactly what the client is sent. A transformer that throws ends the body: the chunk
 * is never passed on untransformed.
 *
 * <p>Attaching is open only while a step's {@code onResponse} runs ({@link #openFor}); afterwards
 * the pipeline is {@link #seal() sealed}. Calls for one body are sequential (one chunk at a time,
 * possibly on different threads), so the lists need no locking after sealing.
 */
public final class ChunkPipeline {

    private static final Logger LOG = LoggerFactory.getLogger(ChunkPipeline.class);

    private record Attached<T>(Step owner, T callback) {
    }

    private final List<Attached<ChunkTransformer>> transformers = new ArrayList<>(2);
    private final List<Attached<ChunkObserver>> observers = new ArrayList<>(2);
    private final List<String> violations = new ArrayList<>(0);
    private volatile Step attaching;
    private final List<Step> opened = new ArrayList<>(4);
    private volatile boolean sealed;
    private volatile boolean ended;

    /** Lets {@code step} attach while its {@code onResponse} runs. */
    synchronized void openFor(Step step) {
        attaching = step;
        if (step != null && !opened.contains(step)) {
            opened.add(step);
        }
    }

    /** Ends the attach window: attaching afterwards is a contract violation. */
    public void seal() {
        attaching = null;
        sealed = true;
    }

    synchronized void addTransformer(ChunkTransformer transformer) {
        Objects.requireNonNull(transformer, "transformer");
        transformers.add(new Attached<>(checkOpen("a transformer"), transformer));
    }

    synchronized void addObserver(ChunkObserver observer) {
        Objects.requireNonNull(observer, "observer");
        observers.add(new Attached<>(checkOpen("an observer"), observer));
    }

    private Step checkOpen(String what) {
        Step owner = attaching;
        if (sealed) {
            // After the phase nobody holds the window; with one step in it (the testkit), it is the culprit.
            String who = opened.size() == 1 ? opened.get(0).describe() : "a processor";
            throw new IllegalStateException(who + " attached " + what
                    + " after onResponse returned: attach transformers and observers in onResponse");
        }
        return owner;
    }

    public boolean hasTransformers() {
        return !transformers.isEmpty();
    }

    public boolean hasObservers() {
        return !observers.isEmpty();
    }

    /**
     * Runs one upstream chunk through every transformer; the result may be empty (held back).
     *
     * @throws RuntimeException what a transformer threw, or an {@link IllegalStateException} naming
     *                          the step whose transformer returned null
     */
    public byte[] apply(byte[] chunk) {
        return pass(chunk, 0);
    }

    private byte[] pass(byte[] chunk, int from) {
        byte[] current = chunk;
        for (int i = from; i < transformers.size() && current.length > 0; i++) {
            Attached<ChunkTransformer> t = transformers.get(i);
            current = nonNull(t.callback().onChunk(current), t.owner(), "onChunk");
        }
        return current;
    }

    /**
     * The body ended upstream: flushes what each transformer held back, passing each flush through
     * the transformers after it.
     */
    public byte[] finish() {
        ByteArrayOutputStream out = null;
        byte[] single = ChunkTransformer.EMPTY;
        for (int i = 0; i < transformers.size(); i++) {
            Attached<ChunkTransformer> t = transformers.get(i);
            byte[] flushed = pass(nonNull(t.callback().onEnd(), t.owner(), "onEnd"), i + 1);
            if (flushed.length == 0) {
                continue;
            }
            if (single.length == 0 && out == null) {
                single = flushed;
            } else {
                if (out == null) {
                    out = new ByteArrayOutputStream();
                    out.writeBytes(single);
                }
                out.writeBytes(flushed);
            }
        }
        return out == null ? single : out.toByteArray();
    }

    /** Tells observers the client was sent these bytes. An observer that throws is logged and noted. */
    public void sent(byte[] bytes) {
        if (bytes.length == 0) {
            return;
        }
        for (Attached<ChunkObserver> o : observers) {
            try {
                o.callback().onChunk(bytes);
            } catch (RuntimeException e) {
                violated("an observer of " + name(o.owner()) + " threw from onChunk, which must not throw", e);
            }
        }
    }

    /** Tells observers the body is over; only the first call counts. */
    public void ended(Throwable error) {
        if (ended) {
            return;
        }
        ended = true;
        for (Attached<ChunkObserver> o : observers) {
            try {
                o.callback().onEnd(error);
            } catch (RuntimeException e) {
                violated("an observer of " + name(o.owner()) + " threw from onEnd, which must not throw", e);
            }
        }
    }

    /**
     * Runs a whole body given as chunks (transform, send, finish, end), as a listener does one
     * chunk at a time. The testkit runs streams through this.
     */
    public Run runAll(List<byte[]> chunks) {
        List<byte[]> out = new ArrayList<>();
        try {
            for (byte[] chunk : chunks) {
                emit(apply(chunk.clone()), out);
            }
            emit(finish(), out);
        } catch (RuntimeException e) {
            ended(e);
            return new Run(out, e);
        }
        ended(null);
        return new Run(out, null);
    }

    private void emit(byte[] bytes, List<byte[]> out) {
        if (bytes.length > 0) {
            out.add(bytes);
            sent(bytes);
        }
    }

    /**
     * What {@link #runAll} sent.
     *
     * @param sent  the chunks the client receives (held-back empties are not chunks)
     * @param error what cut the body (a transformer threw), or null
     */
    public record Run(List<byte[]> sent, RuntimeException error) {
    }

    /** Contract violations seen so far (observers that threw), each naming the step. */
    public synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    private synchronized void violated(String message, RuntimeException e) {
        violations.add(message + ": " + e);
        LOG.warn("{}; ignoring it for this chunk", message, e);
    }

    private static byte[] nonNull(byte[] bytes, Step owner, String method) {
        if (bytes == null) {
            throw new NullChunkException("a transformer of " + name(owner) + " returned null from " + method
                    + ": return ChunkTransformer.EMPTY to hold bytes back");
        }
        return bytes;
    }

    /** A transformer returned null: a defect of its processor, not a failure of the stream. */
    public static final class NullChunkException extends IllegalStateException {
        NullChunkException(String message) {
            super(message);
        }
    }

    static String name(Step step) {
        return step == null ? "code outside the response phase" : step.describe();
    }

    static byte[] concat(byte[] a, byte[] b) {
        if (a.length == 0) {
            return b;
        }
        if (b.length == 0) {
            return a;
        }
        byte[] joined = new byte[a.length + b.length];
        System.arraycopy(a, 0, joined, 0, a.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        return joined;
    }
}
