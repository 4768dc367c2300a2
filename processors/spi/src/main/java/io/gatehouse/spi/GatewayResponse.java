package io.gatehouse.spi;

/** The response head and its body, as received from the agent. */
public interface GatewayResponse {

    /** The HTTP status the client will see. */
    int status();

    /** Changes the status the client will see. */
    void setStatus(int status);

    /** The response headers; mutable during the response phase. */
    Headers headers();

    /** The body: whole, or a stream of chunks. */
    ResponseBody body();
}
