package io.gatehouse.spi;

import java.util.Optional;

/**
 * A response body that is either whole or a stream of chunks (SSE, NDJSON, chunked transfer).
 *
 * <p>Processors do not read a stream; they attach to it. A {@link ChunkTransformer} rewrites each
 * chunk as it passes (and may hold some bytes back, e.g. to catch a value split across chunks); a
 * {@link ChunkObserver} sees what the client receives. For a whole body, transformers and observers
 * run too, over one chunk: one code path serves both.
 *
 * <p>Transformers run in the order they were attached; since response phases run in reverse
 * pipeline order, the step nearest the client transforms last. Observers see the bytes after all
 * transformers, i.e. exactly what the client receives.
 */
public interface ResponseBody {

    /** True when the body arrives as a stream of chunks. */
    boolean streamed();

    /** The whole body, when not streamed and not yet transformed. */
    Optional<byte[]> whole();

    /** Attaches a transformer; it sees every chunk after the transformers attached before it. */
    void transform(ChunkTransformer transformer);

    /** Attaches an observer; it sees every chunk the client receives. */
    void observe(ChunkObserver observer);
}
