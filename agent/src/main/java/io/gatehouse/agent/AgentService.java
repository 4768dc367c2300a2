package io.gatehouse.agent;

import io.gatehouse.agent.proto.AgentGrpc;
import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.HealthRequest;
import io.gatehouse.agent.proto.HealthResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Map;

/**
 * The gRPC service: looks the service up and hands the call to it ({@link ForwardCall}, {@link GrpcForwardCall})
 * on the event loop it arrived on.
 */
final class AgentService extends AgentGrpc.AgentImplBase {

    private final Map<String, ServiceTarget> upstreams;
    private final EventLoops loops;
    private final AccessLog accessLog;

    AgentService(Map<String, ServiceTarget> upstreams, EventLoops loops, AccessLog accessLog) {
        this.upstreams = upstreams;
        this.loops = loops;
        this.accessLog = accessLog;
    }

    @Override
    public void forward(ForwardRequest request, StreamObserver<ForwardResponse> responses) {
        ServiceTarget upstream = upstreams.get(request.getService());
        if (upstream == null) {
            long start = System.nanoTime();
            responses.onNext(UpstreamFailures.failure(ForwardResponse.Failure.Code.UNKNOWN_SERVICE,
                    "unknown service '" + Upstream.printable(request.getService()) + "'; this agent serves "
                            + upstreams.keySet()));
            responses.onCompleted();
            accessLog.record(request, -1, "failure UNKNOWN_SERVICE", start);
            return;
        }
        upstream.forward(request, (ServerCallStreamObserver<ForwardResponse>) responses, loops.current());
    }

    @Override
    public void health(HealthRequest request, StreamObserver<HealthResponse> responses) {
        responses.onNext(HealthResponse.newBuilder().addAllServices(upstreams.keySet()).build());
        responses.onCompleted();
    }
}
