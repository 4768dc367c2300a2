package io.gatehouse.spi;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One step of an endpoint's pipeline.
 *
 * <p><b>Order.</b> For each exchange the gateway calls {@link #onRequest} on every step in pipeline
 * order until one returns something other than {@link Outcome#proceed()}; then the exchange is sent
 * to the agent; then {@link #onResponse} runs on the steps whose request phase proceeded, in
 * reverse order; finally {@link #onComplete} runs on every step that saw the request, whatever
 * happened (denied, failed, client gone), exactly once. Between the two, {@link #onResponseEnd} runs
 * (reverse order) when the response is complete but not yet finished for the client.
 *
 * <p><b>Threading.</b> One instance serves all exchanges of its endpoint concurrently: keep no
 * per-request state in fields; put it in {@link GatewayExchange#attributes()}. Methods run on the
 * event loop that owns the client's connection (as in every Netty-based gateway, a request stays
 * on one thread): <b>never block</b> — no blocking I/O, no locks held while waiting, no
 * {@code join()}. Waiting (a store, a human, a key fetch) belongs in {@link #onRequestAsync} or
 * {@link #onResponseEnd}: return a stage, and the gateway resumes the exchange on its event loop
 * when the stage completes, wherever it completed.
 *
 * <p><b>Contract.</b> Returning {@code null}, or throwing, is a defect of the processor: the
 * gateway answers 500, names the processor and the endpoint in its log, and still completes the
 * exchange.
 */
public interface GatewayProcessor extends AutoCloseable {

    /**
     * Request phase, synchronous form. Inspect or rewrite the request; return
     * {@link Outcome#proceed()} to pass it on.
     */
    default Outcome onRequest(GatewayExchange exchange) {
        return Outcome.proceed();
    }

    /**
     * Request phase, asynchronous form: override this instead of {@link #onRequest} when the
     * decision waits for I/O. The default completes with {@link #onRequest}.
     */
    default CompletionStage<Outcome> onRequestAsync(GatewayExchange exchange) {
        return CompletableFuture.completedFuture(onRequest(exchange));
    }

    /**
     * Response phase: the response head is known; the body is whole or a stream. Rewrite headers,
     * or attach a {@link ChunkTransformer} or {@link ChunkObserver} to the body. Never collect a
     * streamed body.
     */
    default void onResponse(GatewayExchange exchange) {
    }

    /**
     * The response is complete — a whole body is ready, or a stream's last chunk has arrived and
     * been transformed and sent — but the client has not yet been given its end (the whole body, or
     * the stream's terminating chunk). The gateway holds that end until the returned stage
     * completes, in reverse pipeline order. Recording uses this so that no client sees a complete
     * answer whose record is not durable.
     *
     * <p>A stage that fails ends the exchange as failed: a whole response becomes 503 problem+json;
     * a stream ends with an error event (SSE) or a cut connection. Keep it short: the client waits.
     */
    default CompletionStage<Void> onResponseEnd(GatewayExchange exchange) {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Called once when the exchange is over (response fully sent, denied, failed or abandoned by
     * the client). Must not throw; must not block.
     */
    default void onComplete(GatewayExchange exchange, Completion completion) {
    }

    /** Releases resources when the endpoint is unloaded (reload or shutdown). */
    @Override
    default void close() {
    }
}
