package io.gatehouse.gateway.route;

import io.gatehouse.config.ListenerConfig;
import io.gatehouse.gateway.pipeline.EndpointAnswers;
import io.gatehouse.gateway.pipeline.EndpointSlot;

/**
 * Where a route listens and the slot it reads its endpoint pipeline from. An HTTP route is mounted on a
 * listener path ({@code http /v1}), a gRPC endpoint route on the endpoint id (its listener's dispatcher
 * sends messages to it by model). Each HTTP listener also has a mount at {@code /}: the endpoint there, or
 * none (404 problem+json). A reload that removes an endpoint empties its mount's slot; a route is never
 * removed while the gateway runs (requests in flight on it would lose their consumer), and an endpoint
 * added later at the same place takes the mount again.
 */
record Mount(String key, String routeId, String listenerName, ListenerConfig listener, String path, String endpointId,
             EndpointSlot slot) {

    static String httpKey(String listener, String path) {
        return "http " + listener + " " + path;
    }

    static String grpcKey(String endpointId) {
        return "grpc " + endpointId;
    }

    boolean grpc() {
        return listener.grpc();
    }

    String from() {
        return grpc() ? GrpcEndpointRoutes.routeUri(endpointId) : EndpointRoutes.listenerUri(listener, path);
    }

    String description() {
        return grpc() ? "gRPC endpoint '" + endpointId + "' on listener '" + listenerName + "'"
                : "listener '" + listenerName + "' path " + path;
    }

    /** Answers for what fails before an exchange captured its pipeline. */
    EndpointAnswers fallbackAnswers() {
        var current = slot.current();
        return current != null ? current.answers() : EndpointAnswers.PROBLEMS;
    }
}
