package io.gatehouse.spi;

/**
 * Rewrites a response body chunk by chunk. Called sequentially for one body (never concurrently),
 * possibly on different threads. Must not block. One instance per exchange: create it in
 * {@link GatewayProcessor#onResponse}.
 */
public interface ChunkTransformer {

    byte[] EMPTY = new byte[0];

    /**
     * Returns the bytes to pass on for this chunk: the chunk itself, a rewrite, or fewer bytes
     * (held back until a later call). Throwing ends the stream: the client gets an error event,
     * never the untransformed chunk.
     */
    byte[] onChunk(byte[] chunk);

    /** The body is complete: return whatever was held back. */
    default byte[] onEnd() {
        return EMPTY;
    }
}
