package io.gatehouse.spi;

import java.net.InetSocketAddress;

/**
 * The request head and its body. The body is held whole but bounded by the endpoint's
 * {@code maxBodyBytes} (a larger request is refused with 413 before any processor sees it).
 */
public interface GatewayRequest {

    /** Upper-case HTTP method, e.g. {@code POST}. For gRPC, {@code POST}. */
    String method();

    /** The path as received, without query, e.g. {@code /v1/chat/completions}. */
    String path();

    /** The raw query string without {@code ?}, or empty. */
    String query();

    /** The request headers; mutable during the request phase. */
    Headers headers();

    /** The caller's address as seen by the listener. */
    InetSocketAddress clientAddress();

    /** The body bytes; never null, empty when there is none. Callers must not modify the array. */
    byte[] body();

    /** Replaces the body (e.g. prompt masking, an injected max_tokens); updates Content-Length. */
    void replaceBody(byte[] body);
}
