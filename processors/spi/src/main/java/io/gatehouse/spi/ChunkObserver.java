package io.gatehouse.spi;

/**
 * Sees the bytes of a response body exactly as the client receives them. Called sequentially for
 * one body, possibly on different threads. Must not block and must not throw.
 */
public interface ChunkObserver {

    /** One chunk sent to the client. The array must not be modified. */
    void onChunk(byte[] chunk);

    /**
     * The body ended.
     *
     * @param error null when it ended normally; otherwise why it was cut (upstream failure, client
     *              gone, a transformer failed)
     */
    void onEnd(Throwable error);
}
