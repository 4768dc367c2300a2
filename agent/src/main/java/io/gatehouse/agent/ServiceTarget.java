package io.gatehouse.agent;

import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.ScheduledExecutorService;

/** One configured service: an HTTP model server ({@link Upstream}) or a gRPC one ({@link GrpcUpstream}). */
interface ServiceTarget extends AutoCloseable {

    String name();

    /** Starts one Forward call; never blocks, answers on {@code out}. */
    void forward(ForwardRequest request, ServerCallStreamObserver<ForwardResponse> out, ScheduledExecutorService timer);

    /** Releases what the service holds (connections); the agent calls it when it stops. */
    @Override
    void close();
}
