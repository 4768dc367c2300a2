package io.gatehouse.agent.tunnel;

import io.gatehouse.agent.AgentCalls;
import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.TunnelReply;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One dialling agent's attachment, seen from the gateway: the {@link AgentCalls} of an agent that opened the
 * connection itself. A call takes one of the idle call slots the agent opened (or waits for the next, at most
 * {@code slotWait}), sends its ForwardRequest down that slot and gets the agent's answers up it, so the caller
 * sees what a direct Forward gives: demand, cancel and deadline per call, with HTTP/2 flow control per slot.
 */
public final class TunnelSession implements AgentCalls {

    private final String agent;
    private final String identity;
    private final String remote;
    private final String instance;
    private final List<String> services;
    private final String id;
    private final Duration slotWait;
    private final ScheduledExecutorService timers;
    private final Instant since = Instant.now();
    private final Object lock = new Object();
    private final ArrayDeque<Slot> idle = new ArrayDeque<>();
    private final ArrayDeque<TunnelCall> waiting = new ArrayDeque<>();
    private volatile boolean closed;
    private volatile String closedBecause = "";

    TunnelSession(String agent, String identity, String remote, String instance, List<String> services, String id,
                  Duration slotWait, ScheduledExecutorService timers) {
        this.agent = agent;
        this.identity = identity;
        this.remote = remote;
        this.instance = instance;
        this.services = List.copyOf(services);
        this.id = id;
        this.slotWait = slotWait;
        this.timers = timers;
    }

    public String agent() {
        return agent;
    }

    public String identity() {
        return identity;
    }

    public String remote() {
        return remote;
    }

    public String instance() {
        return instance;
    }

    public List<String> services() {
        return services;
    }

    public Instant since() {
        return since;
    }

    String id() {
        return id;
    }

    /** Idle call slots now (for metrics and tests). */
    public int idleSlots() {
        synchronized (lock) {
            return idle.size();
        }
    }

    @Override
    public String target() {
        return identity + "@" + remote + ", dialled in";
    }

    @Override
    public boolean available() {
        return !closed;
    }

    @Override
    public void forward(ForwardRequest request, Instant deadline, StreamObserver<ForwardResponse> responses,
                        Executor home) {
        ForwardRequest sent = deadline == null ? request
                : request.toBuilder().setDeadlineUnixMillis(deadline.toEpochMilli()).build();
        ScheduledExecutorService timer = home instanceof ScheduledExecutorService s ? s : timers;
        TunnelCall call = new TunnelCall(sent, responses, home, timer);
        if (responses instanceof ClientResponseObserver<?, ?> observer) {
            @SuppressWarnings("unchecked")
            ClientResponseObserver<ForwardRequest, ForwardResponse> typed =
                    (ClientResponseObserver<ForwardRequest, ForwardResponse>) observer;
            typed.beforeStart(call);
        }
        if (deadline != null) {
            long nanos = Duration.between(Instant.now(), deadline).toNanos();
            call.deadlineTask = timer.schedule(call::deadlinePassed, Math.max(0, nanos), TimeUnit.NANOSECONDS);
        }
        Slot slot;
        synchronized (lock) {
            if (closed) {
                slot = null;
            } else {
                slot = idle.poll();
                if (slot == null) {
                    waiting.add(call);
                    call.waitTask = timer.schedule(call::noSlot, slotWait.toNanos(), TimeUnit.NANOSECONDS);
                    return;
                }
            }
        }
        if (slot == null) {
            call.fail(Status.UNAVAILABLE.withDescription("agent '" + agent + "' (" + target() + ") disconnected"
                    + closedBecause).withCause(AgentCalls.NOT_SENT), null);
            return;
        }
        call.bind(slot);
    }

    /** The agent opened a call slot: a waiting call takes it, or it waits for one. */
    StreamObserver<TunnelReply> slotOpened(ServerCallStreamObserver<ForwardRequest> out) {
        Slot slot = new Slot(out);
        out.disableAutoRequest();
        out.setOnCancelHandler(slot::cancelled);
        TunnelCall call = null;
        synchronized (lock) {
            if (closed) {
                slot.dead = true;
            } else {
                call = waiting.poll();
                if (call == null) {
                    idle.add(slot);
                }
            }
        }
        if (slot.dead) {
            slot.end(Status.UNAVAILABLE.withDescription("the attachment is over"));
        } else if (call != null) {
            call.bind(slot);
        }
        return slot;
    }

    /** The attachment ended: waiting calls fail now; calls in flight go on until their slots end. */
    void close(String because) {
        List<TunnelCall> failed;
        List<Slot> unused;
        synchronized (lock) {
            closed = true;
            closedBecause = because.isEmpty() ? "" : ": " + because;
            failed = List.copyOf(waiting);
            waiting.clear();
            unused = List.copyOf(idle);
            idle.clear();
        }
        for (TunnelCall c : failed) {
            c.fail(Status.UNAVAILABLE.withDescription("agent '" + agent + "' (" + target() + ") disconnected"
                    + closedBecause + " before a call slot was free").withCause(AgentCalls.NOT_SENT), null);
        }
        for (Slot s : unused) {
            s.end(Status.UNAVAILABLE.withDescription("the attachment is over"));
        }
    }

    private void removeIdle(Slot slot) {
        synchronized (lock) {
            idle.remove(slot);
        }
    }

    private boolean removeWaiting(TunnelCall call) {
        synchronized (lock) {
            return waiting.remove(call);
        }
    }

    /** A call slot the agent opened: the gateway writes the one request down it and reads the answers. */
    private final class Slot implements StreamObserver<TunnelReply> {
        private final ServerCallStreamObserver<ForwardRequest> out;
        private volatile TunnelCall call;
        private volatile boolean dead;

        Slot(ServerCallStreamObserver<ForwardRequest> out) {
            this.out = out;
        }

        @Override
        public void onNext(TunnelReply reply) {
            TunnelCall c = call;
            if (c != null) {
                c.fromAgent(reply);
            }
        }

        @Override
        public void onError(Throwable t) {
            cancelled();
        }

        @Override
        public void onCompleted() {
            TunnelCall c = call;
            if (c != null) {
                c.agentDone();
            }
            end(null);
        }

        /** The agent cancelled the slot, or the connection broke. */
        void cancelled() {
            dead = true;
            TunnelCall c = call;
            if (c != null) {
                c.fail(Status.UNAVAILABLE.withDescription("agent '" + agent + "' (" + target()
                        + ") went away during the call; the call was not retried"), null);
            } else {
                removeIdle(this);
            }
        }

        void send(ForwardRequest request) {
            synchronized (out) {
                if (!dead) {
                    out.onNext(request);
                }
            }
        }

        /** Ends the slot: OK when {@code status} is null. */
        void end(Status status) {
            synchronized (out) {
                if (dead && status == null) {
                    return;
                }
                dead = true;
                try {
                    if (status == null) {
                        out.onCompleted();
                    } else {
                        out.onError(status.asRuntimeException());
                    }
                } catch (IllegalStateException alreadyClosed) {
                    // the call ended meanwhile (cancelled by the agent or the connection)
                }
            }
        }
    }

    /**
     * One gateway call over a slot, as the caller's {@link ClientCallStreamObserver}: demand and cancel go to the
     * slot; the agent's answers go to the caller, on its home executor when it has one, always in order.
     */
    private final class TunnelCall extends ClientCallStreamObserver<ForwardRequest> {
        private final ForwardRequest request;
        private final StreamObserver<ForwardResponse> responses;
        private final Executor home;
        private final ScheduledExecutorService timer;
        private Slot slot;
        private boolean manual;
        private int demand;
        private boolean finished;
        ScheduledFuture<?> deadlineTask;
        ScheduledFuture<?> waitTask;

        TunnelCall(ForwardRequest request, StreamObserver<ForwardResponse> responses, Executor home,
                   ScheduledExecutorService timer) {
            this.request = request;
            this.responses = responses;
            this.home = home;
            this.timer = timer;
        }

        void bind(Slot s) {
            int initial;
            synchronized (this) {
                if (finished) {
                    initial = -1;
                } else {
                    slot = s;
                    s.call = this;
                    initial = manual ? demand : Integer.MAX_VALUE;
                }
            }
            if (initial < 0) {
                returnSlot(s);
                return;
            }
            if (waitTask != null) {
                waitTask.cancel(false);
            }
            s.send(request);
            if (initial > 0) {
                s.out.request(initial);
            }
        }

        private void returnSlot(Slot s) {
            if (s.dead) {
                return;
            }
            TunnelCall next;
            synchronized (lock) {
                next = closed ? null : waiting.poll();
                if (next == null && !closed) {
                    idle.add(s);
                }
            }
            if (next != null) {
                next.bind(s);
            } else if (closed) {
                s.end(Status.UNAVAILABLE.withDescription("the attachment is over"));
            }
        }

        void fromAgent(TunnelReply reply) {
            if (reply.hasStatus()) {
                Status status = Status.fromCodeValue(reply.getStatus().getCode())
                        .withDescription(reply.getStatus().getDescription());
                if (status.isOk()) {
                    agentDone();
                } else {
                    finish(status, null);
                }
                return;
            }
            ForwardResponse response = reply.getResponse();
            synchronized (this) {
                if (finished) {
                    return;
                }
            }
            deliver(() -> responses.onNext(response));
        }

        void agentDone() {
            synchronized (this) {
                if (finished) {
                    return;
                }
                finished = true;
            }
            cancelTimers();
            deliver(responses::onCompleted);
        }

        /** Ends the call with {@code status} for the caller; {@code toAgent}, when not null, ends the slot with it. */
        void fail(Status status, Status toAgent) {
            finish(status, toAgent);
        }

        private void finish(Status status, Status toAgent) {
            Slot s;
            synchronized (this) {
                if (finished) {
                    return;
                }
                finished = true;
                s = slot;
            }
            cancelTimers();
            if (s == null) {
                removeWaiting(this);
            } else if (toAgent != null) {
                s.end(toAgent);
            }
            deliver(() -> responses.onError(status.asRuntimeException()));
        }

        void noSlot() {
            if (removeWaiting(this)) {
                fail(Status.UNAVAILABLE.withDescription("agent '" + agent + "' (" + target()
                        + ") opened no free call slot within " + slotWait.toMillis() + " ms").withCause(AgentCalls.NOT_SENT),
                        null);
            }
        }

        void deadlinePassed() {
            Status status = Status.DEADLINE_EXCEEDED.withDescription("the deadline passed");
            finish(status, status);
        }

        private void cancelTimers() {
            if (deadlineTask != null) {
                deadlineTask.cancel(false);
            }
            if (waitTask != null) {
                waitTask.cancel(false);
            }
        }

        private void deliver(Runnable signal) {
            if (home != null) {
                home.execute(signal);
            } else {
                signal.run();
            }
        }

        @Override
        public void cancel(String message, Throwable cause) {
            Status status = Status.CANCELLED.withDescription(message).withCause(cause);
            finish(status, status);
        }

        @Override
        public void request(int count) {
            Slot s;
            synchronized (this) {
                s = slot;
                if (s == null) {
                    demand += count;
                    return;
                }
            }
            s.out.request(count);
        }

        @Override
        public synchronized void disableAutoRequestWithInitial(int request) {
            manual = true;
            demand = request;
        }

        @Override
        public void disableAutoInboundFlowControl() {
            disableAutoRequestWithInitial(1);
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setOnReadyHandler(Runnable onReadyHandler) {
            // the request is sent whole when the call takes a slot
        }

        @Override
        public void setMessageCompression(boolean enable) {
        }

        @Override
        public void onNext(ForwardRequest value) {
            throw new IllegalStateException("the Forward request is sent with the call");
        }

        @Override
        public void onError(Throwable t) {
            cancel("the caller failed", t);
        }

        @Override
        public void onCompleted() {
        }
    }
}
