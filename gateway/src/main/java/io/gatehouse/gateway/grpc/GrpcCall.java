package io.gatehouse.gateway.grpc;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gRPC call on a gateway listener, created by {@link GrpcCallInterceptor} when the call starts: its
 * metadata and peer, its {@link Context} (cancelled when the client cancels or its deadline passes; an
 * agent call started under it is cancelled with it), and for a stream the request messages still to
 * run, one at a time and in order. Every write to the client goes through here, serialized.
 */
final class GrpcCall {

    static final Context.Key<GrpcCall> KEY = Context.key("gatehouse-grpc-call");

    private static final Logger LOG = LoggerFactory.getLogger(GrpcCall.class);

    private final Metadata headers;
    private final InetSocketAddress peer;
    private final ServerCall<?, ?> serverCall;
    private final boolean clientStreams;
    private Context context;

    private final Deque<Runnable> pending = new ArrayDeque<>();
    private final List<Runnable> readyListeners = new ArrayList<>();
    private boolean running;
    private boolean halfClosed;
    private boolean closed;
    private volatile boolean cancelled;
    private StreamObserver<Object> observer;
    private final Metadata responseHeaders = new Metadata();
    private boolean headersSent;

    GrpcCall(Metadata headers, ServerCall<?, ?> serverCall) {
        this.headers = headers;
        this.serverCall = serverCall;
        this.clientStreams = !serverCall.getMethodDescriptor().getType().clientSendsOneMessage();
        SocketAddress remote = serverCall.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        this.peer = remote instanceof InetSocketAddress inet ? inet : null;
    }

    void context(Context context) {
        this.context = context;
    }

    Context context() {
        return context;
    }

    Metadata headers() {
        return headers;
    }

    InetSocketAddress peer() {
        return peer;
    }

    boolean cancelled() {
        return cancelled;
    }

    /** The response observer camel-grpc hands the route; the same for every message of a call. */
    synchronized void observer(StreamObserver<Object> observer) {
        if (this.observer == null) {
            this.observer = observer;
        }
    }

    /** A response header of the gateway's, for the headers the call sends with its first message; later ones are dropped. */
    synchronized void responseHeader(String name, String value) {
        if (!headersSent) {
            Metadata.Key<String> key = Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
            responseHeaders.discardAll(key);
            responseHeaders.put(key, value);
        }
    }

    /** Called as the call sends its headers. */
    synchronized void addResponseHeaders(Metadata headers) {
        headersSent = true;
        headers.merge(responseHeaders);
    }

    // ---- messages of a stream, one at a time ----

    /** Runs {@code task} now if nothing of this call runs, else after what is queued; {@link #done} ends it. */
    void submit(Runnable task) {
        synchronized (this) {
            if (closed) {
                return;
            }
            if (running) {
                pending.add(task);
                return;
            }
            running = true;
        }
        task.run();
    }

    /** The running message is finished: start the next, or end the call once the client has half-closed. */
    void done() {
        Runnable next;
        synchronized (this) {
            next = pending.poll();
            if (next == null) {
                running = false;
                if (halfClosed) {
                    complete();
                }
                return;
            }
        }
        next.run();
    }

    // ---- listener events, from the interceptor ----

    /**
     * A unary call's message is complete (its route runs next); a stream's client sent its last message:
     * the call ends once the messages it sent are answered.
     */
    void onHalfClose() {
        if (!clientStreams) {
            return;
        }
        synchronized (this) {
            halfClosed = true;
            if (running || closed) {
                return;
            }
            if (observer != null) {
                complete();
            } else {
                closed = true; // a stream without a message: nothing was routed, nothing to answer
                serverCall.close(io.grpc.Status.OK, new Metadata());
            }
        }
    }

    void onCancel() {
        cancelled = true;
        synchronized (this) {
            closed = true;
            pending.clear();
        }
    }

    void onReady() {
        List<Runnable> listeners;
        synchronized (this) {
            listeners = List.copyOf(readyListeners);
            readyListeners.clear();
        }
        listeners.forEach(Runnable::run);
    }

    /** Whether the client can take more now; if not, {@code whenReady} runs once it can. */
    boolean readyOr(Runnable whenReady) {
        synchronized (this) {
            if (serverCall.isReady() || closed) {
                return true;
            }
            readyListeners.add(whenReady);
        }
        return false;
    }

    // ---- writes ----

    synchronized void send(Object message) {
        if (closed || observer == null) {
            return;
        }
        try {
            observer.onNext(message);
        } catch (RuntimeException e) {
            LOG.debug("a message for a call that ended was dropped: {}", e.toString());
        }
    }

    /** Ends the call with OK. */
    synchronized void complete() {
        if (closed || observer == null) {
            return;
        }
        closed = true;
        try {
            observer.onCompleted();
        } catch (RuntimeException e) {
            LOG.debug("completing a call that ended: {}", e.toString());
        }
    }

    /** Ends the call with {@code status}; later messages of a stream are not run. */
    synchronized void fail(Status status, Metadata trailers) {
        if (closed || observer == null) {
            return;
        }
        closed = true;
        pending.clear();
        try {
            observer.onError(status.asRuntimeException(trailers));
        } catch (RuntimeException e) {
            LOG.debug("failing a call that ended: {}", e.toString());
        }
    }
}
