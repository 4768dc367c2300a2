package io.gatehouse.gateway.http;

import io.gatehouse.engine.ChunkPipeline;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.camel.component.netty.http.OutboundStreamHttpResponse;

/**
 * A streamed HTTP response that never blocks a Netty I/O thread.
 *
 * <p>Why: camel-netty-http streams an {@code InputStream} body through Netty's {@code ChunkedStream},
 * whose {@code readChunk} blocks the event loop while the stream has no data; with a dozen slow
 * LLM streams, unrelated requests on the same loop waited seconds (see DESIGN.md). This class is
 * itself the {@code ChunkedInput}: {@link #readChunk} returns {@code null} when nothing is ready,
 * and when a chunk arrives from the agent the producer side calls
 * {@link ChunkedWriteHandler#resumeTransfer()}, which Netty runs on the channel's own executor.
 *
 * <p>It extends {@link OutboundStreamHttpResponse} because Camel's {@code HttpOutboundStreamHandler}
 * streams only that type; every {@code ChunkedInput} method is overridden, so the super class's
 * blocking stream is never read.
 *
 * <p>Demand: a few chunks are requested up front and one more each time Netty takes one, which it
 * only does while the socket is writable: a slow client slows the agent instead of filling memory.
 */
public final class StreamingHttpResponse extends OutboundStreamHttpResponse implements Flow.Subscriber<byte[]> {

    /** How the stream ended, reported once. */
    public enum End { COMPLETED, FAILED, CLIENT_GONE }

    /** Receives the end of the stream. */
    public interface EndListener {
        void ended(End end, Throwable cause);
    }

    private static final int PREFETCH = 8;

    private final ChunkPipeline pipeline;
    private final Channel channel;
    private final boolean eventStream;
    private final EndListener endListener;
    private final Queue<byte[]> ready = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean finished = new AtomicBoolean();
    private final AtomicLong progress = new AtomicLong();
    private volatile Flow.Subscription subscription;
    private volatile boolean upstreamDone;
    private volatile Throwable failure;
    private volatile boolean lastSent;
    private final java.util.function.Supplier<java.util.concurrent.CompletionStage<Void>> beforeEnd;
    private volatile java.util.concurrent.CompletionStage<Void> endHook;
    private volatile boolean endHookDone;
    private volatile boolean closeAfterLastChunk;

    /**
     * @param beforeEnd started once every chunk has been handed to Netty; the terminating chunk is
     *                  held until it completes (a failure ends the stream as failed)
     */
    public StreamingHttpResponse(HttpResponseStatus status, Channel channel, boolean eventStream,
                                 ChunkPipeline pipeline,
                                 java.util.function.Supplier<java.util.concurrent.CompletionStage<Void>> beforeEnd,
                                 EndListener endListener) {
        super(new ByteArrayInputStream(new byte[0]), new DefaultHttpResponse(HttpVersion.HTTP_1_1, status));
        this.channel = channel;
        this.eventStream = eventStream;
        this.pipeline = pipeline;
        this.endListener = endListener;
        this.beforeEnd = beforeEnd;
    }

    /** Closes the connection once the last chunk is written (the client asked to close, or speaks HTTP/1.0). */
    public void closeAfterLastChunk() {
        closeAfterLastChunk = true;
    }

    /** Starts pulling from the agent; call after the head's headers are set. */
    public void start(Flow.Publisher<byte[]> source) {
        source.subscribe(this);
    }

    // ---- agent side (any thread, one signal at a time) ----

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        subscription.request(PREFETCH);
    }

    @Override
    public void onNext(byte[] chunk) {
        if (failure != null) {
            return;
        }
        byte[] out;
        try {
            out = pipeline.apply(chunk);
        } catch (RuntimeException e) {
            // Fail closed: a transformer that cannot handle a chunk must not let it through.
            fail(e);
            return;
        }
        if (out.length == 0) {
            subscription.request(1);
        } else {
            ready.add(out);
        }
        wake();
    }

    @Override
    public void onError(Throwable error) {
        fail(error);
    }

    @Override
    public void onComplete() {
        try {
            byte[] tail = pipeline.finish();
            if (tail.length > 0) {
                ready.add(tail);
            }
        } catch (RuntimeException e) {
            fail(e);
            return;
        }
        upstreamDone = true;
        wake();
    }

    private void fail(Throwable error) {
        if (failure == null) {
            failure = error;
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }
        wake();
    }

    private void wake() {
        ChunkedWriteHandler writer = channel.pipeline().get(ChunkedWriteHandler.class);
        if (writer != null) {
            // Always a task of its own, never inline: readChunk's request(1) can deliver the next chunk
            // synchronously on the event loop, and a flush nested in readChunk would write that chunk
            // before the one readChunk is returning (seen as swapped words under 100 concurrent streams).
            channel.eventLoop().execute(writer::resumeTransfer);
        }
    }

    // ---- Netty side (the channel's event loop) ----

    @Override
    public HttpContent readChunk(ByteBufAllocator allocator) {
        if (lastSent) {
            return null;
        }
        if (failure != null) {
            return failureChunk();
        }
        byte[] next = ready.poll();
        if (next != null) {
            pipeline.sent(next);
            progress.addAndGet(next.length);
            Flow.Subscription s = subscription;
            if (s != null && !upstreamDone) {
                s.request(1);
            }
            return new DefaultHttpContent(Unpooled.wrappedBuffer(next));
        }
        if (upstreamDone) {
            if (endHook == null) {
                // Everything but the end was sent: let the steps finish (e.g. make the record durable) first.
                java.util.concurrent.CompletableFuture<Void> hook = beforeEnd.get().toCompletableFuture();
                endHook = hook;
                if (!hook.isDone()) {
                    hook.whenComplete((v, error) -> {
                        if (error != null) {
                            fail(error);
                        } else {
                            endHookDone = true;
                            wake();
                        }
                    });
                    return null;
                }
                if (hook.isCompletedExceptionally()) {
                    failure = hook.handle((v, e) -> e).join();
                    return failureChunk();
                }
                endHookDone = true;
            }
            if (endHookDone) {
                lastSent = true;
                return LastHttpContent.EMPTY_LAST_CONTENT;
            }
        }
        return null;
    }

    /**
     * An SSE client gets a final {@code event: error} and a clean end, so it can tell a cut stream
     * from a finished one; any other stream is cut by closing the connection, which a chunked client
     * sees as an incomplete body. Either way nothing untransformed is sent.
     */
    private HttpContent failureChunk() {
        lastSent = true;
        if (eventStream) {
            String event = "event: error\ndata: {\"error\":{\"message\":\"the response stream was interrupted\","
                    + "\"type\":\"gateway_error\"}}\n\n";
            byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
            pipeline.sent(bytes);
            return new io.netty.handler.codec.http.DefaultLastHttpContent(Unpooled.wrappedBuffer(bytes));
        }
        channel.close();
        return LastHttpContent.EMPTY_LAST_CONTENT;
    }

    @Override
    @Deprecated
    public HttpContent readChunk(ChannelHandlerContext ctx) {
        return readChunk(ctx.alloc());
    }

    @Override
    public boolean isEndOfInput() {
        return lastSent;
    }

    @Override
    public long length() {
        return -1;
    }

    @Override
    public long progress() {
        return progress.get();
    }

    /** Netty is done with this input: the last chunk was written, the write failed, or the client left. */
    @Override
    public void close() {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        ready.clear();
        Throwable cause = failure;
        End end;
        if (lastSent && cause == null) {
            end = End.COMPLETED;
        } else if (lastSent) {
            end = End.FAILED;
        } else {
            end = End.CLIENT_GONE;
            cause = new java.nio.channels.ClosedChannelException();
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }
        if (closeAfterLastChunk) {
            channel.close(); // Netty calls this once the last chunk's write completed
        }
        pipeline.ended(end == End.COMPLETED ? null : cause);
        endListener.ended(end, cause);
    }
}
