package io.gatehouse.testkit;

import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.Headers;
import java.net.InetSocketAddress;
import java.util.Objects;

/** In-memory {@link GatewayRequest}. */
final class TestRequest implements GatewayRequest {

    private final String method;
    private final String path;
    private final String query;
    private final Headers headers;
    private final InetSocketAddress clientAddress;
    private volatile byte[] body;

    TestRequest(String method, String path, String query, Headers headers, InetSocketAddress clientAddress,
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

    /** Replaces the body and, when the request carries a {@code Content-Length}, updates it. */
    @Override
    public void replaceBody(byte[] body) {
        this.body = Objects.requireNonNull(body, "body").clone();
        if (headers.contains("Content-Length")) {
            headers.set("Content-Length", Integer.toString(this.body.length));
        }
    }

    @Override
    public String toString() {
        return method + " " + path + (query.isEmpty() ? "" : "?" + query);
    }
}
