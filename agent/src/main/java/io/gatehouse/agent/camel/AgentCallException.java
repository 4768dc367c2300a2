package io.gatehouse.agent.camel;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * A call to an agent failed. Set on the Camel exchange when no response head arrived, and given to
 * the body's subscriber when the stream broke after the head. The message never holds a secret.
 * For a gRPC service {@link #grpcStatus()} also says how the upstream call ended.
 */
public final class AgentCallException extends Exception {

    /** What failed; the gateway maps it to an HTTP status. */
    public enum Kind {
        /** The agent could not be reached (connection, TLS handshake, agent shut down). */
        UNAVAILABLE,
        /** The agent does not know the service the endpoint names. */
        UNKNOWN_SERVICE,
        /** The agent could not connect to the model server. */
        UPSTREAM_UNREACHABLE,
        /** The model server sent no response head within the service's response timeout. */
        UPSTREAM_TIMEOUT,
        /** The service failed too many recent calls; the agent refuses calls to it for a while ({@link #retryAfterMillis()}). */
        CIRCUIT_OPEN,
        /** The exchange's deadline passed. */
        DEADLINE_EXCEEDED,
        /** Anything else: the model server or the agent failed. */
        UPSTREAM_ERROR
    }

    private final Kind kind;
    private final int grpcStatus;
    private long retryAfterMillis;

    public AgentCallException(Kind kind, String message) {
        this(kind, message, null);
    }

    public AgentCallException(Kind kind, String message, Throwable cause) {
        this(kind, message, cause, 0);
    }

    /**
     * @param grpcStatus the status code a gRPC service's call ended with ({@code Failure.grpc_status});
     *                   0 when the failure is not a gRPC service's
     */
    public AgentCallException(Kind kind, String message, Throwable cause, int grpcStatus) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.grpcStatus = grpcStatus;
    }

    /** For {@link Kind#CIRCUIT_OPEN}: when the agent lets calls through again; returns this. */
    public AgentCallException retryAfter(long millis) {
        this.retryAfterMillis = millis;
        return this;
    }

    /** When a retry may succeed, in milliseconds; 0 when the agent did not say. */
    public long retryAfterMillis() {
        return retryAfterMillis;
    }

    public Kind kind() {
        return kind;
    }

    /**
     * For a gRPC service, the status code its call ended with (e.g. 5 for NOT_FOUND, 4 for
     * DEADLINE_EXCEEDED); empty for an HTTP service and for failures of the agent link itself.
     */
    public OptionalInt grpcStatus() {
        return grpcStatus == 0 ? OptionalInt.empty() : OptionalInt.of(grpcStatus);
    }
}
