package io.gatehouse.agent;

import com.google.protobuf.ByteString;
import io.gatehouse.agent.ServiceBreaker.Verdict;
import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One Forward call to a gRPC service: one upstream call bridged to the gateway's response stream.
 * The Head (status 200, the upstream's response metadata, streamed) goes out with the first response
 * message or the close, each response message is one Chunk, an OK close is End, any other close a
 * Failure with its {@code grpc_status}. Response messages are requested one at a time, and only while
 * the gateway's stream is ready, so a slow gateway slows the model server. Nothing here blocks.
 *
 * <p>Cancellation goes both ways: when the gateway cancels (or its deadline passes), the upstream call
 * is cancelled at once; {@code deadline_unix_millis} is the upstream call's deadline; the service's
 * {@code responseTimeout} bounds the wait for the first message or the close.
 *
 * <p>Circuit breaking: the service's breaker ({@code circuitBreaker}, as for HTTP services) is asked before
 * the upstream call; while it is open the call is answered at once with {@code CIRCUIT_OPEN} and never
 * reaches the model. A close with {@code UNAVAILABLE}, {@code INTERNAL}, {@code UNKNOWN}, {@code DATA_LOSS}
 * or {@code DEADLINE_EXCEEDED} (not the caller's deadline), or no response within {@code responseTimeout},
 * counts as a failure of the service; any other close as a success (the model answered); a call the
 * gateway cancelled or whose deadline passed does not count.
 *
 * <p>Threads: the upstream call uses the service's channel of the event loop the Forward arrived on, so
 * upstream callbacks, gateway callbacks (cancel, ready) and the response timeout normally all run on
 * that one thread. Every write to the gateway's stream and every use of the upstream call still happens
 * under {@link #lock} (uncontended then), only before {@link #finished}.
 */
final class GrpcForwardCall extends ClientCall.Listener<byte[]> {

    private final GrpcUpstream upstream;
    private final ForwardRequest request;
    private final ServerCallStreamObserver<ForwardResponse> out;
    private final EventLoop loop;
    private final long startNanos = System.nanoTime();
    private final Object lock = new Object();
    /** A response message is wanted but was not requested because the gateway's stream was full. */
    private final AtomicBoolean wanted = new AtomicBoolean();

    private volatile boolean finished;
    /** The breaker let this call through: its end is reported to it once (under lock, in finish). */
    private boolean permitted;
    private volatile ClientCall<byte[], byte[]> call;
    // Guarded by lock.
    private Metadata responseHeaders;
    private boolean headSent;
    private ScheduledFuture<?> responseTimer;

    GrpcForwardCall(GrpcUpstream upstream, ForwardRequest request, ServerCallStreamObserver<ForwardResponse> out,
                    EventLoop loop) {
        this.upstream = upstream;
        this.request = request;
        this.out = out;
        this.loop = loop;
    }

    void start() {
        out.setOnCancelHandler(() -> finish("cancelled", Verdict.NEUTRAL, null,
                "the gateway cancelled the Forward call"));
        out.setOnReadyHandler(this::requestMoreIfReady);
        MethodDescriptor<byte[], byte[]> method;
        Metadata metadata;
        try {
            method = GrpcUpstream.method(request.getPath());
            metadata = upstream.metadata(request);
        } catch (IllegalArgumentException e) {
            finish("invalid", Verdict.NEUTRAL, () -> out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage())
                    .asRuntimeException()), null);
            return;
        }
        CallOptions options = CallOptions.DEFAULT;
        long deadline = request.getDeadlineUnixMillis();
        if (deadline > 0) {
            long remaining = deadline - System.currentTimeMillis();
            if (remaining <= 0) {
                ForwardResponse failure = failure(ForwardResponse.Failure.Code.UPSTREAM_TIMEOUT,
                        Status.Code.DEADLINE_EXCEEDED, "the deadline passed before the call to service '"
                                + upstream.name() + "' started");
                finish("failure UPSTREAM_TIMEOUT", Verdict.NEUTRAL, () -> {
                    out.onNext(failure);
                    out.onCompleted();
                }, null);
                return;
            }
            options = options.withDeadlineAfter(remaining, TimeUnit.MILLISECONDS);
        }
        ServiceBreaker breaker = upstream.breaker();
        if (breaker != null) {
            if (!breaker.tryAcquire()) {
                ForwardResponse refused = ForwardResponse.newBuilder().setFailure(ForwardResponse.Failure.newBuilder()
                        .setCode(ForwardResponse.Failure.Code.CIRCUIT_OPEN).setMessage(breaker.refusal())
                        .setRetryAfterMillis(breaker.retryAfterMillis())).build();
                finish("failure CIRCUIT_OPEN", Verdict.NEUTRAL, () -> {
                    out.onNext(refused);
                    out.onCompleted();
                }, null);
                return;
            }
            synchronized (lock) {
                if (finished) {
                    breaker.released(); // the gateway cancelled already
                    return;
                }
                permitted = true;
            }
        }
        ClientCall<byte[], byte[]> upstreamCall = upstream.channel(loop).newCall(method, options);
        long timeout = upstream.config().responseTimeout().toMillis();
        synchronized (lock) {
            if (finished) {
                return; // the gateway cancelled already
            }
            call = upstreamCall;
            responseTimer = loop.schedule(this::responseTimedOut, timeout, TimeUnit.MILLISECONDS);
            upstreamCall.start(this, metadata);
            if (!finished) {
                upstreamCall.request(1);
                upstreamCall.sendMessage(request.getBody().toByteArray());
                upstreamCall.halfClose();
            }
        }
    }

    @Override
    public void onHeaders(Metadata headers) {
        synchronized (lock) {
            responseHeaders = headers;
        }
    }

    @Override
    public void onMessage(byte[] message) {
        synchronized (lock) {
            if (finished) {
                return;
            }
            sendHeadOnce();
            out.onNext(ForwardResponse.newBuilder()
                    .setChunk(ForwardResponse.Chunk.newBuilder().setData(ByteString.copyFrom(message))).build());
        }
        wanted.set(true);
        requestMoreIfReady();
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
        if (status.isOk()) {
            finish("completed", Verdict.SUCCEEDED, () -> {
                sendHeadOnce();
                out.onNext(ForwardResponse.newBuilder().setEnd(ForwardResponse.End.getDefaultInstance()).build());
                out.onCompleted();
            }, null);
            return;
        }
        ForwardResponse failure = classify(status);
        finish("failure " + failure.getFailure().getCode() + " grpc_status=" + status.getCode(), verdict(status),
                () -> {
                    out.onNext(failure);
                    out.onCompleted();
                }, null);
    }

    /** What a close says about the service: its own failures count, the caller's deadline does not. */
    private Verdict verdict(Status status) {
        return switch (status.getCode()) {
            case UNAVAILABLE, INTERNAL, UNKNOWN, DATA_LOSS -> Verdict.FAILED;
            case DEADLINE_EXCEEDED -> request.getDeadlineUnixMillis() > 0
                    && System.currentTimeMillis() >= request.getDeadlineUnixMillis() ? Verdict.NEUTRAL : Verdict.FAILED;
            case CANCELLED -> Verdict.NEUTRAL;
            default -> Verdict.SUCCEEDED;
        };
    }

    /** Asks the upstream for its next message when one is wanted and the gateway's stream can take it. */
    private void requestMoreIfReady() {
        ClientCall<byte[], byte[]> c = call;
        if (c == null || finished || !out.isReady() || !wanted.compareAndSet(true, false)) {
            return;
        }
        synchronized (lock) {
            if (!finished) {
                c.request(1);
            }
        }
    }

    private void responseTimedOut() {
        ForwardResponse failure = failure(ForwardResponse.Failure.Code.UPSTREAM_TIMEOUT, Status.Code.DEADLINE_EXCEEDED,
                "service '" + upstream.name() + "' sent no response within "
                        + Upstream.millis(upstream.config().responseTimeout()));
        synchronized (lock) {
            if (headSent || finished) {
                return;
            }
            finish("failure UPSTREAM_TIMEOUT", Verdict.FAILED, () -> {
                out.onNext(failure);
                out.onCompleted();
            }, "no response within the service's response timeout");
        }
    }

    /** Under {@link #lock}: the Head, unless it went out already. */
    private void sendHeadOnce() {
        if (headSent) {
            return;
        }
        headSent = true;
        if (responseTimer != null) {
            responseTimer.cancel(false);
        }
        out.onNext(ForwardResponse.newBuilder().setHead(ForwardResponse.Head.newBuilder()
                .setStatus(200)
                .addAllHeaders(GrpcUpstream.headers(responseHeaders))
                .setStreamed(true)).build());
    }

    /**
     * Ends the call once: tells the service's circuit breaker what the call says about the service, runs
     * {@code action} (the last writes to the gateway's stream), stops the response timer, cancels the
     * upstream call when a reason is given, and logs the call.
     */
    private void finish(String outcome, Verdict verdict, Runnable action, String cancelReason) {
        int status;
        synchronized (lock) {
            if (finished) {
                return;
            }
            finished = true;
            if (permitted) {
                permitted = false;
                upstream.breaker().report(verdict, startNanos);
            }
            if (action != null) {
                try {
                    action.run();
                } catch (RuntimeException gone) {
                    // The gateway cancelled between our check and the write: nothing left to tell it.
                }
            }
            if (responseTimer != null) {
                responseTimer.cancel(false);
            }
            if (cancelReason != null && call != null) {
                call.cancel(cancelReason, null);
            }
            status = headSent ? 200 : -1;
        }
        upstream.accessLog().record(request, status, outcome, startNanos);
    }

    private ForwardResponse classify(Status status) {
        ForwardResponse.Failure.Code code = switch (status.getCode()) {
            case UNAVAILABLE -> ForwardResponse.Failure.Code.UPSTREAM_UNREACHABLE;
            case DEADLINE_EXCEEDED -> ForwardResponse.Failure.Code.UPSTREAM_TIMEOUT;
            default -> ForwardResponse.Failure.Code.UPSTREAM_ERROR;
        };
        String description = status.getDescription() == null ? status.getCode().name() : status.getDescription();
        String unreachable = "service '" + upstream.name() + "' is unreachable at " + upstream.base() + ": ";
        for (Throwable c = status.getCause(); c != null; c = c.getCause()) {
            if (c instanceof ConnectTimeoutException) {
                return failure(code, status.getCode(), unreachable + "connect timed out after "
                        + Upstream.millis(upstream.config().connectTimeout()));
            }
            if (c instanceof ConnectException) {
                return failure(code, status.getCode(), unreachable + "connection refused");
            }
            if (c instanceof NoRouteToHostException) {
                return failure(code, status.getCode(), unreachable + "no route to host");
            }
            if (c instanceof UnresolvedAddressException || c instanceof UnknownHostException) {
                return failure(code, status.getCode(), unreachable + "host not found");
            }
        }
        return failure(code, status.getCode(), description);
    }

    static ForwardResponse failure(ForwardResponse.Failure.Code code, Status.Code grpcStatus, String message) {
        return ForwardResponse.newBuilder().setFailure(ForwardResponse.Failure.newBuilder()
                .setCode(code).setMessage(message).setGrpcStatus(grpcStatus.value())).build();
    }
}
