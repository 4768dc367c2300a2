package io.gatehouse.testkit;

import io.gatehouse.spi.ChunkObserver;
import io.gatehouse.spi.ChunkTransformer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Runs chunks through the attached transformers in attach order, then hands what comes out to every
 * observer, as the gateway does. Bytes a transformer flushes in {@code onEnd} pass through the
 * transformers attached after it. Empty results (bytes held back) reach neither the client nor the
 * observers. A transformer that throws ends the body: the chunk is never passed on untransformed.
 */
final class ChunkPipeline {

    private final Step step;
    private final List<ChunkTransformer> transformers;
    private final List<ChunkObserver> observers;
    private final List<byte[]> sent = new ArrayList<>();
    private final List<byte[]> observed = new ArrayList<>();

    ChunkPipeline(Step step, List<ChunkTransformer> transformers, List<ChunkObserver> observers) {
        this.step = step;
        this.transformers = transformers;
        this.observers = observers;
    }

    /**
     * Runs the whole body and ends it.
     *
     * @return the error that cut the body (a transformer threw), or null
     */
    RuntimeException run(List<byte[]> chunks) {
        try {
            for (byte[] chunk : chunks) {
                emit(pass(chunk.clone(), 0));
            }
            for (int i = 0; i < transformers.size(); i++) {
                ChunkTransformer transformer = transformers.get(i);
                emit(pass(invoke(transformer::onEnd, "onEnd"), i + 1));
            }
        } catch (TransformerFailure failure) {
            endObservers(failure.getCause());
            return (RuntimeException) failure.getCause();
        }
        endObservers(null);
        return null;
    }

    List<byte[]> sent() {
        return List.copyOf(sent);
    }

    List<byte[]> observed() {
        return List.copyOf(observed);
    }

    private byte[] pass(byte[] chunk, int from) {
        byte[] current = chunk;
        for (int i = from; i < transformers.size() && current.length > 0; i++) {
            ChunkTransformer transformer = transformers.get(i);
            byte[] input = current;
            current = invoke(() -> transformer.onChunk(input), "onChunk");
        }
        return current;
    }

    private byte[] invoke(Supplier<byte[]> call, String method) {
        byte[] result;
        try {
            result = call.get();
        } catch (RuntimeException e) {
            throw new TransformerFailure(e);
        }
        if (result == null) {
            throw new IllegalStateException("a transformer of " + step.name() + " returned null from " + method
                    + ": return ChunkTransformer.EMPTY to hold bytes back");
        }
        return result;
    }

    private void emit(byte[] bytes) {
        if (bytes.length == 0) {
            return;
        }
        sent.add(bytes);
        if (!observers.isEmpty()) {
            observed.add(bytes);
        }
        for (ChunkObserver observer : observers) {
            try {
                observer.onChunk(bytes);
            } catch (RuntimeException e) {
                throw new IllegalStateException("an observer of " + step.name()
                        + " threw from onChunk, which must not throw", e);
            }
        }
    }

    private void endObservers(Throwable error) {
        for (ChunkObserver observer : observers) {
            try {
                observer.onEnd(error);
            } catch (RuntimeException e) {
                throw new IllegalStateException("an observer of " + step.name()
                        + " threw from onEnd, which must not throw", e);
            }
        }
    }

    /** Carries a transformer's exception out of the loop. */
    private static final class TransformerFailure extends RuntimeException {
        TransformerFailure(RuntimeException cause) {
            super(cause);
        }
    }
}
