package io.gatehouse.engine;

import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.Phase;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;

/** Small builders for engine tests. */
final class Exchanges {

    private Exchanges() {
    }

    static PipelineExchange post(String body) {
        return post(body, PipelineExchange.CALLER);
    }

    static PipelineExchange post(String body, Executor home) {
        InboundRequest request = new InboundRequest("POST", "/v1/chat/completions", "", new Headers(),
                new InetSocketAddress("127.0.0.1", 40000), body.getBytes(StandardCharsets.UTF_8));
        return PipelineExchange.builder("req-1", "chat", request, Operation.raw("raw")).home(home).build();
    }

    static Step step(String id, Phase phase, GatewayProcessor processor) {
        return new Step(id, "chat." + id, "chat", phase, processor);
    }

    static Step step(String id, Phase phase) {
        return step(id, phase, new GatewayProcessor() { });
    }
}
