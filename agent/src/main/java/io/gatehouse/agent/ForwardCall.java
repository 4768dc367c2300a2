package io.gatehouse.agent;

import com.google.protobuf.ByteString;
import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.Header;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One Forward call: the upstream HTTP exchange bridged to the gRPC response stream. The upstream
 * body is pulled one part at a time, and only while the gRPC stream is ready, so a slow gateway
 * slows the model server instead of filling the agent's memory. Nothing here blocks.
 *
 * <p>Threads: gRPC callbacks (cancel, ready) run on the server's executor, upstream callbacks on
 * the HTTP client's, the deadline on the agent's timer. Every write to the gRPC stream happens under
 * {@link #lock}, and only before the call is {@link #finished}.
 */
final class ForwardCall implements Flow.Subscriber<List<ByteBuffer>> {

    private static final int MAX_CHUNK = 1 << 20;

    private final Upstream upstream;
    private final ForwardRequest request;
    private final ServerCallStreamObserver<ForwardResponse> out;
    private final ScheduledExecutorService timer;
    private final long startNanos = System.nanoTime();
    private final Object lock = new Object();
    private final AtomicBoolean requested = new AtomicBoolean();

    private volatile boolean finished;
    private volatile Flow.Subscription subscription;
    private CompletableFuture<HttpResponse<Flow.Publisher<List<ByteBuffer>>>> pending;
    private ScheduledFuture<?> deadlineTask;
    private int status = -1;

    ForwardCall(Upstream upstream, ForwardRequest request, ServerCallStreamObserver<ForwardResponse> out,
                ScheduledExecutorService timer) {
        this.upstream = upstream;
        this.request = request;
        this.out = out;
        this.timer = timer;
    }

    void start() {
        out.setOnCancelHandler(() -> finish("cancelled", null, true));
        out.setOnReadyHandler(this::requestMoreIfReady);
        HttpRequest http;
        try {
            http = upstream.build(request);
        } catch (IllegalArgumentException e) {
            finish("invalid", () -> out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException()),
                    false);
            return;
        }
        long deadline = request.getDeadlineUnixMillis();
        if (deadline > 0) {
            long delay = deadline - System.currentTimeMillis();
            if (delay <= 0) {
                deadlinePassed();
                return;
            }
            ScheduledFuture<?> task = timer.schedule(this::deadlinePassed, delay, TimeUnit.MILLISECONDS);
            synchronized (lock) {
                deadlineTask = task;
            }
        }
        CompletableFuture<HttpResponse<Flow.Publisher<List<ByteBuffer>>>> future =
                upstream.client().sendAsync(http, HttpResponse.BodyHandlers.ofPublisher());
        boolean cancelNow;
        synchronized (lock) {
            pending = future;
            cancelNow = finished;
        }
        if (cancelNow) {
            future.cancel(true);
            return;
        }
        future.whenComplete(this::onResponse);
    }

    private void onResponse(HttpResponse<Flow.Publisher<List<ByteBuffer>>> response, Throwable error) {
        if (error != null) {
            Throwable cause = unwrap(error);
            if (!(cause instanceof CancellationException)) {
                ForwardResponse.Failure failure = classify(cause);
                finish("failure " + failure.getCode(), () -> {
                    out.onNext(ForwardResponse.newBuilder().setFailure(failure).build());
                    out.onCompleted();
                }, false);
            }
            return;
        }
        boolean sent = false;
        synchronized (lock) {
            if (!finished) {
                status = response.statusCode();
                out.onNext(ForwardResponse.newBuilder().setHead(head(response)).build());
                sent = true;
            }
        }
        response.body().subscribe(sent ? this : CancellingSubscriber.INSTANCE);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (finished) {
            s.cancel();
        } else {
            requestMoreIfReady();
        }
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
        requested.set(false);
        synchronized (lock) {
            if (finished) {
                return;
            }
            for (ByteBuffer b : buffers) {
                while (b.hasRemaining()) {
                    int n = Math.min(b.remaining(), MAX_CHUNK);
                    ByteBuffer slice = b.slice();
                    slice.limit(n);
                    b.position(b.position() + n);
                    out.onNext(ForwardResponse.newBuilder()
                            .setChunk(ForwardResponse.Chunk.newBuilder().setData(ByteString.copyFrom(slice))).build());
                }
            }
        }
        requestMoreIfReady();
    }

    @Override
    public void onError(Throwable t) {
        String message = "service '" + upstream.name() + "' broke off the response (" + unwrap(t).getClass().getSimpleName()
                + ")";
        finish("failure UPSTREAM_ERROR after head", () -> {
            out.onNext(failure(ForwardResponse.Failure.Code.UPSTREAM_ERROR, message));
            out.onCompleted();
        }, false);
    }

    @Override
    public void onComplete() {
        finish("completed", () -> {
            out.onNext(ForwardResponse.newBuilder().setEnd(ForwardResponse.End.getDefaultInstance()).build());
            out.onCompleted();
        }, false);
    }

    /** Asks the model server for the next body part when the gRPC stream can take it. */
    private void requestMoreIfReady() {
        Flow.Subscription s = subscription;
        if (s != null && !finished && out.isReady() && requested.compareAndSet(false, true)) {
            s.request(1);
        }
    }

    private void deadlinePassed() {
        long elapsed = (System.nanoTime() - startNanos) / 1_000_000;
        finish("deadline", () -> out.onError(Status.DEADLINE_EXCEEDED
                .withDescription("the deadline passed after " + elapsed + " ms").asRuntimeException()), true);
    }

    /**
     * Ends the call once: runs {@code action} (the last writes to the gRPC stream), stops the timer,
     * cancels the upstream exchange when asked, and logs the call.
     */
    private void finish(String outcome, Runnable action, boolean cancelUpstream) {
        CompletableFuture<?> future;
        ScheduledFuture<?> task;
        int finalStatus;
        synchronized (lock) {
            if (finished) {
                return;
            }
            finished = true;
            if (action != null) {
                try {
                    action.run();
                } catch (RuntimeException gone) {
                    // The gateway cancelled between our check and the write: nothing left to tell it.
                }
            }
            future = pending;
            task = deadlineTask;
            finalStatus = status;
        }
        if (task != null) {
            task.cancel(false);
        }
        if (cancelUpstream) {
            if (future != null) {
                future.cancel(true);
            }
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }
        upstream.accessLog().record(request, finalStatus, outcome, startNanos);
    }

    private ForwardResponse.Head head(HttpResponse<?> response) {
        ForwardResponse.Head.Builder head = ForwardResponse.Head.newBuilder().setStatus(response.statusCode());
        Set<String> declared = HeaderRules.connectionTokens(response.headers().allValues("connection"));
        response.headers().map().forEach((name, values) -> {
            if (HeaderRules.isStrippedFromResponse(name) || declared.contains(name.toLowerCase(Locale.ROOT))) {
                return;
            }
            for (String value : values) {
                head.addHeaders(Header.newBuilder().setName(name).setValue(value));
            }
        });
        String contentType = response.headers().firstValue("content-type").orElse("").toLowerCase(Locale.ROOT);
        boolean streamed = response.headers().firstValue("content-length").isEmpty()
                || contentType.startsWith("text/event-stream") || contentType.startsWith("application/x-ndjson");
        return head.setStreamed(streamed).build();
    }

    private ForwardResponse.Failure classify(Throwable cause) {
        String name = upstream.name();
        for (Throwable c = cause; c != null; c = c.getCause()) {
            if (c instanceof HttpConnectTimeoutException) {
                return failureOf(ForwardResponse.Failure.Code.UPSTREAM_UNREACHABLE, "service '" + name
                        + "' is unreachable at " + upstream.base() + ": connect timed out after "
                        + Upstream.millis(upstream.config().connectTimeout()));
            }
            if (c instanceof HttpTimeoutException) {
                return failureOf(ForwardResponse.Failure.Code.UPSTREAM_TIMEOUT, "service '" + name
                        + "' sent no response head within " + Upstream.millis(upstream.config().responseTimeout()));
            }
            if (c instanceof ConnectException) {
                return failureOf(ForwardResponse.Failure.Code.UPSTREAM_UNREACHABLE, "service '" + name
                        + "' is unreachable at " + upstream.base() + ": connection refused");
            }
            if (c instanceof NoRouteToHostException) {
                return failureOf(ForwardResponse.Failure.Code.UPSTREAM_UNREACHABLE, "service '" + name
                        + "' is unreachable at " + upstream.base() + ": no route to host");
            }
            if (c instanceof UnresolvedAddressException || c instanceof UnknownHostException) {
                return failureOf(ForwardResponse.Failure.Code.UPSTREAM_UNREACHABLE, "service '" + name
                        + "' is unreachable at " + upstream.base() + ": host not found");
            }
        }
        return failureOf(ForwardResponse.Failure.Code.UPSTREAM_ERROR, "request to service '" + name + "' failed ("
                + cause.getClass().getSimpleName() + ")");
    }

    static ForwardResponse.Failure failureOf(ForwardResponse.Failure.Code code, String message) {
        return ForwardResponse.Failure.newBuilder().setCode(code).setMessage(message).build();
    }

    static ForwardResponse failure(ForwardResponse.Failure.Code code, String message) {
        return ForwardResponse.newBuilder().setFailure(failureOf(code, message)).build();
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof java.util.concurrent.CompletionException
                || c instanceof java.util.concurrent.ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    /** Releases an upstream body nobody will read. */
    private enum CancellingSubscriber implements Flow.Subscriber<List<ByteBuffer>> {
        INSTANCE;

        @Override
        public void onSubscribe(Flow.Subscription s) {
            s.cancel();
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onComplete() {
        }
    }
}
