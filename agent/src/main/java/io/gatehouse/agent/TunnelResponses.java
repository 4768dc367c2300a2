package io.gatehouse.agent;

import io.gatehouse.agent.proto.CallStatus;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.TunnelReply;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ServerCallStreamObserver;

/**
 * The answer side of a Forward that arrived over a dial-out call slot, shaped as the server side of a direct
 * Forward, so {@link ForwardCall} and {@link GrpcForwardCall} serve both modes unchanged: messages go up the
 * slot as {@link TunnelReply}s, a status the call ends with as {@code TunnelReply.status}, readiness is the
 * slot's, and the gateway ending the slot early is a cancel. Called on the slot's event loop only.
 */
final class TunnelResponses extends ServerCallStreamObserver<ForwardResponse> {

    private final ClientCallStreamObserver<TunnelReply> slot;
    private Runnable onReady = () -> { };
    private Runnable onCancel = () -> { };
    private boolean cancelled;
    private boolean closed;

    TunnelResponses(ClientCallStreamObserver<TunnelReply> slot) {
        this.slot = slot;
    }

    /** The slot became writable again. */
    void ready() {
        if (!closed && !cancelled) {
            onReady.run();
        }
    }

    /** The gateway ended the slot before the answer was over (its client left, a deadline) or the link dropped. */
    void cancelledByGateway() {
        if (closed || cancelled) {
            return;
        }
        cancelled = true;
        onCancel.run();
    }

    boolean closed() {
        return closed;
    }

    @Override
    public void onNext(ForwardResponse value) {
        if (!closed && !cancelled) {
            slot.onNext(TunnelReply.newBuilder().setResponse(value).build());
        }
    }

    @Override
    public void onError(Throwable t) {
        if (closed || cancelled) {
            return;
        }
        closed = true;
        Status status = Status.fromThrowable(t);
        slot.onNext(TunnelReply.newBuilder().setStatus(CallStatus.newBuilder().setCode(status.getCode().value())
                .setDescription(status.getDescription() == null ? "" : status.getDescription())).build());
        slot.onCompleted();
    }

    @Override
    public void onCompleted() {
        if (closed || cancelled) {
            return;
        }
        closed = true;
        slot.onCompleted();
    }

    @Override
    public boolean isReady() {
        return !cancelled && slot.isReady();
    }

    @Override
    public void setOnReadyHandler(Runnable handler) {
        onReady = handler;
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
    }

    @Override
    public void setOnCancelHandler(Runnable handler) {
        onCancel = handler;
    }

    @Override
    public void setCompression(String compression) {
        // the slot's compression is the channel's
    }

    @Override
    public void disableAutoInboundFlowControl() {
        // one request message per slot, asked for when the slot opened
    }

    @Override
    public void request(int count) {
        // nothing more comes from the gateway on a slot than its one request
    }

    @Override
    public void setMessageCompression(boolean enable) {
        slot.setMessageCompression(enable);
    }
}
