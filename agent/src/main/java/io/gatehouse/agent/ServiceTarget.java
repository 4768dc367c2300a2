package io.gatehouse.agent;

import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.netty.channel.EventLoop;

/** One configured service: an HTTP model server ({@link Upstream}) or a gRPC one ({@link GrpcUpstream}). */
interface ServiceTarget extends AutoCloseable {

    String name();

    /**
     * Starts one Forward call; never blocks, answers on {@code out}. {@code loop} is the event loop the
     * call arrived on: the call's timers and its connection to the model server use that one.
     */
    void forward(ForwardRequest request, ServerCallStreamObserver<ForwardResponse> out, EventLoop loop);

    /** Releases what the service holds (connections); the agent calls it when it stops. */
    @Override
    void close();
}
