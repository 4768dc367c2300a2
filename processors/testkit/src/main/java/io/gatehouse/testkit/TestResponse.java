package io.gatehouse.testkit;

import io.gatehouse.spi.GatewayResponse;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.ResponseBody;

/** In-memory {@link GatewayResponse}, created by the harness for the response phase. */
final class TestResponse implements GatewayResponse {

    private volatile int status;
    private final Headers headers;
    private final TestResponseBody body;

    TestResponse(int status, Headers headers, TestResponseBody body) {
        this.status = status;
        this.headers = headers;
        this.body = body;
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public void setStatus(int status) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("a status must be between 100 and 599, got " + status);
        }
        this.status = status;
    }

    @Override
    public Headers headers() {
        return headers;
    }

    @Override
    public ResponseBody body() {
        return body;
    }

    TestResponseBody testBody() {
        return body;
    }

    @Override
    public String toString() {
        return "Response[" + status + ", " + headers + "]";
    }
}
