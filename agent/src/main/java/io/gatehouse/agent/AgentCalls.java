package io.gatehouse.agent;

import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.concurrent.Executor;

/**
 * How the gateway sends a Forward to an agent, whichever way the connection was opened: a listening agent
 * the gateway dials ({@link AgentClient}), a dialling agent's tunnel session ({@code tunnel.TunnelSession}),
 * or several of either serving one {@code agents.<name>} ({@link AgentGroup}). The {@code agent:} component
 * and its response handling see only this.
 */
public interface AgentCalls {

    /**
     * The cause of an UNAVAILABLE status that means the request never left the gateway (no agent had it): a group
     * may send such a call to another agent whatever its method.
     */
    Throwable NOT_SENT = new NotSent();

    /** See {@link #NOT_SENT}. */
    final class NotSent extends Exception {
        private NotSent() {
            super("the request was not sent to any agent", null, false, false);
        }
    }

    /** Where the calls go, for messages ({@code host:port}, or the dialling agent's identity and address). */
    String target();

    /**
     * Sends one Forward; never blocks. The responses observer sees what a direct gRPC Forward would give it: a
     * {@link io.grpc.stub.ClientResponseObserver} gets a call to request messages on and to cancel; the messages;
     * then completion or an error with a gRPC status (UNAVAILABLE when the agent cannot be reached or went away,
     * DEADLINE_EXCEEDED when {@code deadline} passed). When {@code home} is a Netty event loop the callbacks run
     * on it.
     *
     * @param deadline when the whole exchange must be over; null for none
     */
    void forward(ForwardRequest request, Instant deadline, StreamObserver<ForwardResponse> responses, Executor home);

    /** False when a call would fail at once (not connected, or failed a moment ago): a group skips it. */
    boolean available();

    /** A call found this agent unreachable (UNAVAILABLE before any answer): it may stop offering itself a while. */
    default void unreachable() {
    }
}
