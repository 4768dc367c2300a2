package io.gatehouse.gateway.route;

/**
 * The gRPC side's names: each gRPC endpoint has its own route (built like an HTTP endpoint's by
 * {@link EndpointRouteTemplate}, consuming {@link #routeUri}), fed one message at a time by its listener's
 * dispatcher route ({@link EndpointTable}), which picks the endpoint by model.
 */
final class GrpcEndpointRoutes {

    /** The path a gRPC endpoint's steps are told they serve. */
    static final String GRPC_PATH = "/inference.GRPCInferenceService";

    private GrpcEndpointRoutes() {
    }

    static String routeUri(String endpointId) {
        return "direct:gatehouse-grpc-" + endpointId;
    }
}
