package io.gatehouse.gateway.pipeline;

/**
 * Where a route finds the pipeline that serves its next request: one volatile field, swapped whole by a
 * reload. Reading it is the only cost a reload adds to a request (one volatile read, no lock). Empty
 * (null) when no endpoint serves the route any more: the route then answers 404, as for a path no
 * endpoint serves.
 */
public final class EndpointSlot {

    private volatile EndpointPipeline current;

    public EndpointSlot(EndpointPipeline initial) {
        this.current = initial;
    }

    /** The pipeline for the next exchange, or null when the route serves no endpoint. */
    public EndpointPipeline current() {
        return current;
    }

    /** Swaps the pipeline (null retires the route); exchanges already open keep theirs. */
    public void set(EndpointPipeline next) {
        current = next;
    }
}
