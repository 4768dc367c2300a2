package io.gatehouse.agent.camel;

import io.gatehouse.engine.InboundRequest;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** A gateway exchange as a route hands it to the agent: the pipeline engine's own, on endpoint {@code chat}. */
final class ForwardedExchange {

    private ForwardedExchange() {
    }

    static PipelineExchange of(String requestId, String method, String path, String query) {
        return of(requestId, method, path, query, null, null);
    }

    static PipelineExchange of(String requestId, String method, String path, String query, String body,
                               Identity identity) {
        InboundRequest request = new InboundRequest(method, path, query, new Headers(),
                new InetSocketAddress("127.0.0.1", 40000),
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8));
        return PipelineExchange.builder(requestId, "chat", request, Operation.raw("raw")).identity(identity).build();
    }
}
