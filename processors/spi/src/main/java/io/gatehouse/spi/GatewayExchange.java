package io.gatehouse.spi;

import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * One request and its response as processors see it.
 *
 * <p><b>Threading.</b> An exchange is used by one processor at a time (the pipeline is sequential);
 * response chunk callbacks may run on another thread than {@link GatewayProcessor#onResponse}.
 *
 * <p><b>Identity.</b> Only a processor whose factory declares {@link Phase#AUTHENTICATE} may call
 * {@link #setIdentity}; any other caller gets an {@link IllegalStateException} naming it. Inbound
 * headers in the gateway's own namespace ({@code Gatehouse-*}) are dropped before the pipeline, so
 * no decision can read a caller-set value.
 */
public interface GatewayExchange {

    /** Unique id of this exchange; returned to the client as {@code Gatehouse-Request-Id}. */
    String requestId();

    /** The endpoint (and route) id. */
    String endpointId();

    /** The request: head and bounded body. */
    GatewayRequest request();

    /**
     * What the protocol adapter parsed from the request, once, before the pipeline runs. Processors
     * read it and never re-parse the body.
     */
    Operation operation();

    /** The response; empty during the request phase. */
    Optional<GatewayResponse> response();

    /** The verified caller; empty until an {@link Phase#AUTHENTICATE} step has run. */
    Optional<Identity> identity();

    /**
     * Sets the verified caller.
     *
     * @throws IllegalStateException when the calling processor is not in the AUTHENTICATE phase
     */
    void setIdentity(Identity identity);

    /** Typed per-exchange state shared between processors. */
    Attributes attributes();

    /**
     * The event loop this exchange continues on, when it has one (every exchange of a listener does).
     * A step whose stage completes on some other thread (a store's writer, a client library's callback)
     * can complete it with a task queued here instead, and the pipeline goes on without a further
     * thread hand-off. The executor queues tasks, never runs them inline; a task on it must not block.
     * Empty for an exchange without a loop (tests, {@code explain}): complete the stage anywhere.
     */
    default Optional<Executor> eventLoop() {
        return Optional.empty();
    }
}
