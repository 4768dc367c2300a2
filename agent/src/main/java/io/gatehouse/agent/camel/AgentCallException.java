package io.gatehouse.agent.camel;

import java.util.Objects;

/**
 * A call to an agent failed. Set on the Camel exchange when no response head arrived, and given to
 * the body's subscriber when the stream broke after the head. The message never holds a secret.
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
        /** The exchange's deadline passed. */
        DEADLINE_EXCEEDED,
        /** Anything else: the model server or the agent failed. */
        UPSTREAM_ERROR
    }

    private final Kind kind;

    public AgentCallException(Kind kind, String message) {
        this(kind, message, null);
    }

    public AgentCallException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }
}
