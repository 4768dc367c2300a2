package io.gatehouse.gateway.protocol;

import io.gatehouse.engine.InboundRequest;
import io.gatehouse.spi.Headers;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** Requests as a listener would hand them to an adapter. */
final class ProtocolRequests {

    private ProtocolRequests() {
    }

    static InboundRequest request(String method, String path, String body) {
        return request(method, path, body, new Headers());
    }

    static InboundRequest request(String method, String path, String body, Headers headers) {
        return new InboundRequest(method, path, "", headers, new InetSocketAddress("127.0.0.1", 1),
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8));
    }
}
