package io.gatehouse.agent.camel;

import io.grpc.stub.ClientCallStreamObserver;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The response body of one Forward call as a {@code Flow.Publisher<byte[]>}: one item per chunk the
 * agent sent, then completion, or an {@link AgentCallException}. One subscriber only.
 *
 * <p>Memory stays bounded: at most {@link #PREFETCH} chunks are requested from gRPC ahead of the
 * subscriber's demand, so a slow reader stops the gRPC stream, which stops the agent reading the
 * model server. Signals are delivered serially (a work-in-progress counter), from whichever thread
 * supplied the data or the demand; none of them blocks.
 */
final class AgentBodyPublisher implements Flow.Publisher<byte[]> {

    /** Chunks requested from the agent ahead of demand. */
    static final int PREFETCH = 8;

    private final ClientCallStreamObserver<?> call;
    private final Object lock = new Object();
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private final AtomicInteger wip = new AtomicInteger();

    // Guarded by lock.
    private boolean subscribed;
    private Flow.Subscriber<? super byte[]> subscriber;
    private long demand;
    private int inFlight;
    private boolean upstreamDone;
    private Throwable upstreamError;
    private Throwable subscriberError;
    private boolean cancelled;
    private boolean terminated;

    AgentBodyPublisher(ClientCallStreamObserver<?> call) {
        this.call = call;
    }

    /** Starts prefetching (the head has arrived). */
    void start() {
        drain();
    }

    void onChunk(byte[] data) {
        synchronized (lock) {
            inFlight--;
            if (!cancelled && !upstreamDone) {
                queue.add(data);
            }
        }
        drain();
    }

    void onEnd() {
        synchronized (lock) {
            inFlight--;
            upstreamDone = true;
        }
        drain();
    }

    /** The whole body came with the head: nothing more is asked of the agent. Call before {@link #start()}. */
    void onWhole(byte[] data) {
        synchronized (lock) {
            if (data.length > 0) {
                queue.add(data);
            }
            upstreamDone = true;
        }
    }

    /** True once the agent sent the end or a failure: nothing later changes the body. */
    boolean upstreamDone() {
        synchronized (lock) {
            return upstreamDone;
        }
    }

    void onFailure(Throwable error) {
        synchronized (lock) {
            if (upstreamDone) {
                return;
            }
            upstreamDone = true;
            upstreamError = error;
        }
        drain();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super byte[]> s) {
        Objects.requireNonNull(s, "subscriber");
        boolean first;
        synchronized (lock) {
            first = !subscribed;
            subscribed = true;
        }
        if (!first) {
            s.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            s.onError(new IllegalStateException("the agent response body can be read once and already has a subscriber"));
            return;
        }
        s.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
                AgentBodyPublisher.this.request(n);
            }

            @Override
            public void cancel() {
                AgentBodyPublisher.this.cancel();
            }
        });
        synchronized (lock) {
            subscriber = s; // visible to drain only after onSubscribe returned
        }
        drain();
    }

    private void request(long n) {
        synchronized (lock) {
            if (terminated || cancelled) {
                return;
            }
            if (n <= 0) {
                subscriberError = new IllegalArgumentException("request(n) needs n > 0, got " + n + " (Reactive Streams §3.9)");
            } else {
                demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
            }
        }
        drain();
    }

    private void cancel() {
        synchronized (lock) {
            if (terminated || cancelled) {
                return;
            }
            cancelled = true;
            queue.clear();
        }
        call.cancel("the gateway stopped reading the response", null);
    }

    private void drain() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            emitAvailable();
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private void emitAvailable() {
        for (;;) {
            Flow.Subscriber<? super byte[]> s;
            byte[] item = null;
            Throwable error = null;
            boolean complete = false;
            boolean cancelCall = false;
            int toRequest = 0;
            synchronized (lock) {
                if (terminated || cancelled) {
                    queue.clear();
                    return;
                }
                s = subscriber;
                if (s != null && subscriberError != null) {
                    terminated = true;
                    error = subscriberError;
                    cancelCall = !upstreamDone;
                    queue.clear();
                } else if (s != null && demand > 0 && !queue.isEmpty()) {
                    item = queue.poll();
                    demand--;
                } else if (s != null && queue.isEmpty() && upstreamDone) {
                    terminated = true;
                    error = upstreamError;
                    complete = upstreamError == null;
                }
                if (!terminated && !upstreamDone) {
                    int room = PREFETCH - queue.size() - inFlight;
                    if (room >= PREFETCH / 2) {
                        inFlight += room;
                        toRequest = room;
                    }
                }
            }
            if (cancelCall) {
                call.cancel("the gateway's subscriber broke the Reactive Streams rules", null);
            }
            if (toRequest > 0) {
                call.request(toRequest);
            }
            if (item != null) {
                s.onNext(item);
            } else {
                if (error != null) {
                    s.onError(error);
                } else if (complete) {
                    s.onComplete();
                }
                return;
            }
        }
    }
}
