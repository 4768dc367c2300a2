package io.gatehouse.gateway.http;

import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayDeque;

/** The methods of a connection's requests in arrival order, until each is answered (one per channel). */
final class RequestMethods {

    private final ArrayDeque<HttpMethod> pending = new ArrayDeque<>();

    void add(HttpMethod method) {
        pending.add(method);
    }

    /** The method of the request the next final answer is for. */
    HttpMethod next() {
        return pending.poll();
    }
}
