package io.gatehouse.gateway.pipeline;

import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.engine.UpstreamResponse;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Sends a streamed response to a client that is not an HTTP/1.1 connection (a gRPC call). Set one
 * with {@link RouteExchanges#setStreamAnswerer} and the response phase hands it the stream instead of
 * writing HTTP chunks. It owns the rest of the exchange: it runs each chunk through the body's
 * pipeline, runs {@code endHooks} before the client learns the stream ended, and completes the exchange.
 */
public interface StreamAnswerer {

    void answer(PipelineExchange exchange, UpstreamResponse response, Supplier<CompletionStage<Void>> endHooks);
}
