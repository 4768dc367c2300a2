package io.gatehouse.engine;

import io.gatehouse.spi.GatewayResponse;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.ResponseBody;

/** The response from the agent, as the response phase sees and rewrites it. */
public final class UpstreamResponse implements GatewayResponse {

    private volatile int status;
    private final Headers headers;
    private final PipelineBody body;

    public UpstreamResponse(int status, Headers headers, PipelineBody body) {
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
            throw new IllegalArgumentException("not an HTTP status: " + status);
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

    public PipelineBody pipelineBody() {
        return body;
    }
}
