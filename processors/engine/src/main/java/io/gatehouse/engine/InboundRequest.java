package io.gatehouse.engine;

import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.Headers;
import java.net.InetSocketAddress;

/** The request as received by a listener, with its bounded body. */
public final class InboundRequest implements GatewayRequest {

    private final String method;
    private final String path;
    private final String query;
    private final Headers headers;
    private final InetSocketAddress clientAddress;
    private volatile byte[] body;

    public InboundRequest(String method, String path, String query, Headers headers, InetSocketAddress clientAddress,
                          byte[] body) {
        this.method = method;
        this.path = path;
        this.query = query;
        this.headers = headers;
        this.clientAddress = clientAddress;
        this.body = body;
    }

    @Override
    public String method() {
        return method;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public String query() {
        return query;
    }

    @Override
    public Headers headers() {
        return headers;
    }

    @Override
    public InetSocketAddress clientAddress() {
        return clientAddress;
    }

    @Override
    public byte[] body() {
        return body;
    }

    @Override
    public void replaceBody(byte[] body) {
        this.body = body.clone();
        if (headers.contains("Content-Length")) {
            headers.set("Content-Length", Integer.toString(this.body.length));
        }
    }

    /** The path with its query, as forwarded upstream. */
    public String pathAndQuery() {
        return query.isEmpty() ? path : path + "?" + query;
    }
}
