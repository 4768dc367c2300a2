package io.gatehouse.agent.camel;

import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.Header;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;

/**
 * Receives one Forward call's responses: completes the Camel exchange at the head, then feeds the
 * body publisher. gRPC calls these methods one at a time: on the exchange's event loop when it has
 * one, else on gRPC's executor.
 * Messages are requested one by one: first the head, then as the body's subscriber asks.
 */
final class ResponseStream implements ClientResponseObserver<ForwardRequest, ForwardResponse> {

    private final Exchange exchange;
    private final AsyncCallback callback;
    private final String agentName;
    private final String target;
    private final AtomicBoolean callbackDone = new AtomicBoolean();
    private ClientCallStreamObserver<ForwardRequest> call;
    private AgentBodyPublisher body;

    ResponseStream(Exchange exchange, AsyncCallback callback, String agentName, String target) {
        this.exchange = exchange;
        this.callback = callback;
        this.agentName = agentName;
        this.target = target;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<ForwardRequest> requestStream) {
        this.call = requestStream;
        requestStream.disableAutoRequestWithInitial(1);
    }

    @Override
    public void onNext(ForwardResponse response) {
        switch (response.getPartCase()) {
            case HEAD -> onHead(response.getHead(), null);
            case WHOLE -> onHead(response.getWhole().getHead(), response.getWhole().getBody().toByteArray());
            case CHUNK -> {
                if (body == null) {
                    protocolError("a chunk before the response head");
                } else {
                    body.onChunk(response.getChunk().getData().toByteArray());
                }
            }
            case END -> {
                if (body == null) {
                    protocolError("the end before the response head");
                } else {
                    body.onEnd();
                }
            }
            case FAILURE -> {
                ForwardResponse.Failure f = response.getFailure();
                AgentCallException error = new AgentCallException(kindOf(f.getCode()), f.getMessage(), null,
                        f.getGrpcStatus()).retryAfter(f.getRetryAfterMillis());
                if (body == null) {
                    failBeforeHead(error);
                } else {
                    body.onFailure(error);
                }
            }
            default -> protocolError("an empty response message");
        }
    }

    /** @param whole the whole body when it came with the head (nothing follows), else null */
    private void onHead(ForwardResponse.Head head, byte[] whole) {
        if (body != null) {
            body.onFailure(new AgentCallException(AgentCallException.Kind.UPSTREAM_ERROR,
                    "agent '" + agentName + "' sent a second response head"));
            call.cancel("protocol error: second head", null);
            return;
        }
        body = new AgentBodyPublisher(call);
        if (whole != null) {
            body.onWhole(whole);
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (Header h : head.getHeadersList()) {
            headers.computeIfAbsent(h.getName(), k -> new ArrayList<>()).add(h.getValue());
        }
        headers.replaceAll((k, v) -> Collections.unmodifiableList(v));
        if (callbackDone.compareAndSet(false, true)) {
            AgentExchanges.setReply(exchange, new AgentReply(head.getStatus(), Collections.unmodifiableMap(headers),
                    head.getStreamed(), body));
            body.start();
            callback.done(false);
        }
    }

    @Override
    public void onError(Throwable t) {
        AgentCallException error = fromStatus(Status.fromThrowable(t), t);
        if (body == null) {
            failBeforeHead(error);
        } else {
            body.onFailure(error);
        }
    }

    @Override
    public void onCompleted() {
        if (body != null && body.upstreamDone()) {
            return; // the normal end: no exception to build (its stack trace costs on every call)
        }
        AgentCallException error = new AgentCallException(AgentCallException.Kind.UPSTREAM_ERROR,
                "agent '" + agentName + "' ended the call without " + (body == null ? "a response head" : "an end"));
        if (body == null) {
            failBeforeHead(error);
        } else {
            body.onFailure(error);
        }
    }

    /** {@link org.apache.camel.AsyncProcessor#process} result when the call could not even be started. */
    boolean failedToStart(RuntimeException e) {
        failBeforeHead(new AgentCallException(AgentCallException.Kind.UNAVAILABLE,
                "agent '" + agentName + "' at " + target + ": the call could not be started (" + e.getMessage() + ")", e));
        return true;
    }

    private void failBeforeHead(AgentCallException error) {
        if (callbackDone.compareAndSet(false, true)) {
            exchange.setException(error);
            callback.done(false);
        }
    }

    private void protocolError(String what) {
        AgentCallException error = new AgentCallException(AgentCallException.Kind.UPSTREAM_ERROR,
                "agent '" + agentName + "' sent " + what);
        if (body == null) {
            failBeforeHead(error);
        } else {
            body.onFailure(error);
        }
        call.cancel("protocol error: " + what, null);
    }

    private AgentCallException fromStatus(Status status, Throwable cause) {
        AgentCallException.Kind kind = switch (status.getCode()) {
            case DEADLINE_EXCEEDED -> AgentCallException.Kind.DEADLINE_EXCEEDED;
            case UNAVAILABLE, CANCELLED -> AgentCallException.Kind.UNAVAILABLE;
            default -> AgentCallException.Kind.UPSTREAM_ERROR;
        };
        String description = status.getDescription() == null ? "" : ": " + status.getDescription();
        return new AgentCallException(kind, "agent '" + agentName + "' at " + target + ": " + status.getCode() + description,
                cause);
    }

    private static AgentCallException.Kind kindOf(ForwardResponse.Failure.Code code) {
        return switch (code) {
            case UNKNOWN_SERVICE -> AgentCallException.Kind.UNKNOWN_SERVICE;
            case UPSTREAM_UNREACHABLE -> AgentCallException.Kind.UPSTREAM_UNREACHABLE;
            case UPSTREAM_TIMEOUT -> AgentCallException.Kind.UPSTREAM_TIMEOUT;
            case CIRCUIT_OPEN -> AgentCallException.Kind.CIRCUIT_OPEN;
            default -> AgentCallException.Kind.UPSTREAM_ERROR;
        };
    }
}
