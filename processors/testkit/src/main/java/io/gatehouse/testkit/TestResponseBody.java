package io.gatehouse.testkit;

import io.gatehouse.spi.ChunkObserver;
import io.gatehouse.spi.ChunkTransformer;
import io.gatehouse.spi.ResponseBody;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * In-memory {@link ResponseBody}. Transformers and observers may be attached while the step's
 * {@code onResponse} runs; afterwards the body is sealed and attaching is a contract violation, as
 * in the gateway.
 */
final class TestResponseBody implements ResponseBody {

    private final boolean streamed;
    private final byte[] whole;
    private final Step step;
    private final List<ChunkTransformer> transformers = new ArrayList<>();
    private final List<ChunkObserver> observers = new ArrayList<>();
    private boolean sealed;

    private TestResponseBody(boolean streamed, byte[] whole, Step step) {
        this.streamed = streamed;
        this.whole = whole;
        this.step = step;
    }

    static TestResponseBody whole(byte[] body, Step step) {
        return new TestResponseBody(false, body.clone(), step);
    }

    static TestResponseBody streamed(Step step) {
        return new TestResponseBody(true, null, step);
    }

    @Override
    public boolean streamed() {
        return streamed;
    }

    @Override
    public synchronized Optional<byte[]> whole() {
        return streamed || !transformers.isEmpty() ? Optional.empty() : Optional.of(whole.clone());
    }

    @Override
    public synchronized void transform(ChunkTransformer transformer) {
        Objects.requireNonNull(transformer, "transformer");
        checkOpen("a transformer");
        transformers.add(transformer);
    }

    @Override
    public synchronized void observe(ChunkObserver observer) {
        Objects.requireNonNull(observer, "observer");
        checkOpen("an observer");
        observers.add(observer);
    }

    private void checkOpen(String what) {
        if (sealed) {
            throw new IllegalStateException(step.name() + " attached " + what
                    + " after onResponse returned: attach transformers and observers in onResponse");
        }
    }

    /** Ends the attach window and returns the pipeline the chunks run through. */
    synchronized ChunkPipeline seal() {
        sealed = true;
        return new ChunkPipeline(step, List.copyOf(transformers), List.copyOf(observers));
    }

    byte[] wholeBytes() {
        return whole.clone();
    }
}
