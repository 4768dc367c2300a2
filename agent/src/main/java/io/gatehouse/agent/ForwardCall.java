package io.gatehouse.agent;

import com.google.protobuf.ByteString;
import io.gatehouse.agent.ServiceBreaker.Verdict;
import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.Header;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One Forward call to an HTTP service: one HTTP/1.1 exchange on a pooled connection, bridged to the
 * gateway's response stream. The connection reads only while the gateway's stream is ready, so a slow
 * gateway slows the model server instead of filling the agent's memory. Nothing here blocks.
 *
 * <p>Threads: none of its own. The call, its connection, its timers and the gRPC callbacks (cancel,
 * ready) all run on one event loop, the one the Forward arrived on; a callback from elsewhere is
 * passed to that loop. So nothing is locked.
 *
 * <p>A connection goes back to its pool only after a complete response that allowed keep-alive; a
 * cancelled, timed-out or failed exchange closes it. When a reused connection turns out closed before
 * any answer, the request is sent once more on a new connection if it could not have been processed
 * (it was not completely written) or its method is idempotent, as the JDK client does.
 */
final class ForwardCall {

    /** Whole answers up to this size travel with their head as one message. */
    static final int WHOLE_LIMIT = 256 * 1024;

    private final Upstream upstream;
    private final ForwardRequest request;
    private final ServerCallStreamObserver<ForwardResponse> out;
    private final EventLoop loop;
    private final UpstreamPool pool;
    private final long startNanos = System.nanoTime();

    private Upstream.Request http;
    private UpstreamConnection connection;
    private ScheduledFuture<?> deadlineTask;
    private ScheduledFuture<?> responseTimer;
    private boolean finished;
    private boolean headSent;
    /** A whole (non-streamed) answer's head, held to travel with its body as one message; else null. */
    private ForwardResponse.Head.Builder heldHead;
    private java.io.ByteArrayOutputStream heldBody;
    private boolean informational;
    private boolean written;
    private boolean retried;
    /** The service's circuit breaker let this call through: its end is reported to the breaker once. */
    private boolean permitted;
    private int status = -1;

    ForwardCall(Upstream upstream, ForwardRequest request, ServerCallStreamObserver<ForwardResponse> out, EventLoop loop) {
        this.upstream = upstream;
        this.request = request;
        this.out = out;
        this.loop = loop;
        this.pool = upstream.pool(loop);
    }

    /** Called from the gRPC service method: registers the gRPC callbacks, then starts on the call's loop. */
    void start() {
        out.setOnCancelHandler(() -> onLoop(() -> finish("cancelled", Verdict.NEUTRAL, null)));
        out.setOnReadyHandler(() -> onLoop(this::readIfReady));
        onLoop(this::begin);
    }

    private void onLoop(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }

    private void begin() {
        if (finished) {
            return;
        }
        try {
            http = upstream.build(request);
        } catch (IllegalArgumentException e) {
            finish("invalid", Verdict.NEUTRAL, () -> out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException()));
            return;
        }
        ServiceBreaker breaker = upstream.breaker();
        if (breaker != null) {
            if (!breaker.tryAcquire()) {
                ForwardResponse.Failure refused = ForwardResponse.Failure.newBuilder()
                        .setCode(ForwardResponse.Failure.Code.CIRCUIT_OPEN).setMessage(breaker.refusal())
                        .setRetryAfterMillis(breaker.retryAfterMillis()).build();
                finish("failure CIRCUIT_OPEN", Verdict.NEUTRAL, () -> {
                    out.onNext(ForwardResponse.newBuilder().setFailure(refused).build());
                    out.onCompleted();
                });
                return;
            }
            permitted = true;
        }
        long deadline = request.getDeadlineUnixMillis();
        if (deadline > 0) {
            long delay = deadline - System.currentTimeMillis();
            if (delay <= 0) {
                deadlinePassed();
                return;
            }
            deadlineTask = loop.schedule(this::deadlinePassed, delay, TimeUnit.MILLISECONDS);
        }
        UpstreamConnection idle = pool.poll();
        if (idle != null) {
            send(idle);
        } else {
            connect();
        }
    }

    private void connect() {
        pool.connect().addListener((Future<UpstreamConnection> f) -> {
            if (!f.isSuccess()) {
                if (!finished) {
                    fail(UpstreamFailures.classify(upstream, f.cause()));
                }
            } else if (finished) {
                pool.release(f.getNow()); // opened for nothing: the next call may use it
            } else {
                send(f.getNow());
            }
        });
    }

    private void send(UpstreamConnection c) {
        connection = c;
        c.attach(this);
        written = false;
        DefaultFullHttpRequest message = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, http.method(), http.target(),
                http.body().retainedDuplicate(), http.headers(), EmptyHttpHeaders.INSTANCE);
        c.channel().writeAndFlush(message).addListener(f -> {
            if (f.isSuccess()) {
                if (connection == c) {
                    written = true;
                }
            } else if (connection == c) {
                c.detach();
                onBroken(c, f.cause());
            }
        });
        if (responseTimer == null) {
            responseTimer = loop.schedule(this::responseTimedOut, upstream.config().responseTimeout().toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        c.channel().read();
    }

    /** A decoded part of the response: the head, then content, then the last content. */
    void onResponse(UpstreamConnection c, Object msg) {
        try {
            if (finished || c != connection) {
                return;
            }
            if (msg instanceof HttpObject part && part.decoderResult().isFailure()) {
                c.detach();
                onBroken(c, part.decoderResult().cause());
                return;
            }
            if (msg instanceof HttpResponse response) {
                int code = response.status().code();
                informational = code >= 100 && code < 200 && code != 101;
                if (!informational) {
                    head(c, response);
                }
            }
            if (msg instanceof HttpContent content) {
                if (informational) {
                    informational = !(content instanceof LastHttpContent);
                    return;
                }
                ByteBuf data = content.content();
                if (heldHead != null && data.isReadable()) {
                    if (heldBody.size() + data.readableBytes() <= WHOLE_LIMIT) {
                        heldBody.writeBytes(ByteBufUtil.getBytes(data));
                        data.skipBytes(data.readableBytes());
                    } else {
                        sendHeld();
                    }
                }
                if (data.isReadable()) {
                    out.onNext(ForwardResponse.newBuilder()
                            .setChunk(ForwardResponse.Chunk.newBuilder().setData(ByteString.copyFrom(data.nioBuffer())))
                            .build());
                }
                if (content instanceof LastHttpContent) {
                    complete(c);
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void head(UpstreamConnection c, HttpResponse response) {
        if (responseTimer != null) {
            responseTimer.cancel(false);
        }
        HttpHeaders headers = response.headers();
        status = response.status().code();
        c.keepAlive(HttpUtil.isKeepAlive(response), headers.get(HttpHeaderNames.KEEP_ALIVE));
        ForwardResponse.Head.Builder head = ForwardResponse.Head.newBuilder().setStatus(status);
        Set<String> declared = headers.contains(HttpHeaderNames.CONNECTION)
                ? HeaderRules.connectionTokens(headers.getAll(HttpHeaderNames.CONNECTION)) : Set.of();
        for (Iterator<Map.Entry<String, String>> it = headers.iteratorAsString(); it.hasNext(); ) {
            Map.Entry<String, String> h = it.next();
            String name = h.getKey();
            if (HeaderRules.isStrippedFromResponse(name) || declared.contains(name.toLowerCase(Locale.ROOT))) {
                continue;
            }
            head.addHeaders(Header.newBuilder().setName(name).setValue(h.getValue()));
        }
        String contentType = headers.get(HttpHeaderNames.CONTENT_TYPE, "").toLowerCase(Locale.ROOT);
        boolean streamed = !headers.contains(HttpHeaderNames.CONTENT_LENGTH)
                || contentType.startsWith("text/event-stream") || contentType.startsWith("application/x-ndjson");
        head.setStreamed(streamed);
        long length = streamed ? -1 : HttpUtil.getContentLength(response, -1L);
        if (length >= 0 && length <= WHOLE_LIMIT) {
            // A small whole answer goes back as one message (head, body, end): a third of the gRPC
            // messages, frames and callbacks of head + chunk + end on both sides.
            heldHead = head;
            heldBody = new java.io.ByteArrayOutputStream((int) length);
            return;
        }
        out.onNext(ForwardResponse.newBuilder().setHead(head).build());
        headSent = true;
    }

    /** The held head (and what body came with it) goes out as ordinary head and chunk messages. */
    private void sendHeld() {
        out.onNext(ForwardResponse.newBuilder().setHead(heldHead).build());
        headSent = true;
        if (heldBody.size() > 0) {
            out.onNext(ForwardResponse.newBuilder().setChunk(ForwardResponse.Chunk.newBuilder()
                    .setData(ByteString.copyFrom(heldBody.toByteArray()))).build());
        }
        heldHead = null;
        heldBody = null;
    }

    private void complete(UpstreamConnection c) {
        connection = null;
        c.detach();
        if (written) {
            pool.release(c);
        } else {
            c.channel().close(); // answered before it had read the whole request: its state is unknown
        }
        ForwardResponse.Head.Builder whole = heldHead;
        byte[] body = whole == null ? null : heldBody.toByteArray();
        heldHead = null;
        heldBody = null;
        finish("completed", status >= 500 ? Verdict.FAILED : Verdict.SUCCEEDED, () -> {
            if (whole != null) {
                headSent = true;
                out.onNext(ForwardResponse.newBuilder().setWhole(ForwardResponse.Whole.newBuilder().setHead(whole)
                        .setBody(ByteString.copyFrom(body))).build());
            } else {
                out.onNext(ForwardResponse.newBuilder().setEnd(ForwardResponse.End.getDefaultInstance()).build());
            }
            out.onCompleted();
        });
    }

    /** The connection read what it had: read on while the gateway's stream can take more. */
    void onReadComplete(UpstreamConnection c) {
        if (c == connection) {
            readIfReady();
        }
    }

    private void readIfReady() {
        UpstreamConnection c = connection;
        if (!finished && c != null && out.isReady()) {
            c.channel().read();
        }
    }

    /** The connection closed or failed (cause null: closed) before the response ended. */
    void onBroken(UpstreamConnection c, Throwable cause) {
        if (finished || c != connection) {
            return;
        }
        connection = null;
        c.channel().close();
        if (!headSent && c.reused() && !c.received() && !retried && (http.idempotent() || !written)) {
            retried = true; // the server had closed the kept-alive connection before it answered
            connect();
            return;
        }
        Throwable reason = cause != null ? cause : new PrematureChannelClosureException("the connection closed");
        if (!headSent) {
            fail(UpstreamFailures.classify(upstream, reason));
            return;
        }
        String message = "service '" + upstream.name() + "' broke off the response: " + UpstreamFailures.what(reason);
        finish("failure UPSTREAM_ERROR after head", Verdict.FAILED, () -> {
            out.onNext(UpstreamFailures.failure(ForwardResponse.Failure.Code.UPSTREAM_ERROR, message));
            out.onCompleted();
        });
    }

    private void responseTimedOut() {
        if (!finished && !headSent) {
            fail(UpstreamFailures.failureOf(ForwardResponse.Failure.Code.UPSTREAM_TIMEOUT, "service '" + upstream.name()
                    + "' sent no response head within " + Upstream.millis(upstream.config().responseTimeout())));
        }
    }

    private void deadlinePassed() {
        long elapsed = (System.nanoTime() - startNanos) / 1_000_000;
        // The caller's budget ran out: says nothing certain about the service, so not counted.
        finish("deadline", Verdict.NEUTRAL, () -> out.onError(Status.DEADLINE_EXCEEDED
                .withDescription("the deadline passed after " + elapsed + " ms").asRuntimeException()));
    }

    private void fail(ForwardResponse.Failure failure) {
        finish("failure " + failure.getCode(), Verdict.FAILED, () -> {
            out.onNext(ForwardResponse.newBuilder().setFailure(failure).build());
            out.onCompleted();
        });
    }

    /**
     * Ends the call once: tells the service's circuit breaker what the call says about the service,
     * runs {@code action} (the last writes to the gRPC stream), stops the timers,
     * closes the connection of an exchange that did not end cleanly, and logs the call.
     */
    private void finish(String outcome, Verdict verdict, Runnable action) {
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
        if (deadlineTask != null) {
            deadlineTask.cancel(false);
        }
        if (responseTimer != null) {
            responseTimer.cancel(false);
        }
        UpstreamConnection c = connection;
        if (c != null) {
            connection = null;
            c.detach();
            c.channel().close();
        }
        upstream.accessLog().record(request, status, outcome, startNanos);
    }
}
