package io.gatehouse.agent;

import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every agent serving one {@code agents.<name>}: listening agents the gateway dials and dialling agents
 * attached through the tunnel, in any mix. Calls go round-robin to the members that are {@link
 * AgentCalls#available() available}, so a dead agent stops getting new calls as soon as it is known dead (a
 * dialling agent: when its connection drops; a listening one: when a call could not reach it, for a second,
 * or while its channel is in transient failure).
 *
 * <p>A call already sent is never sent again, except an idempotent one ({@code GET}, {@code HEAD},
 * {@code OPTIONS}: model listings, metadata) that failed with UNAVAILABLE before any answer: it is retried once
 * on another member. A call that never left the gateway (it waited for a call slot of a dialling agent that went
 * away, {@link AgentCalls#NOT_SENT}) is sent once to another member whatever its method. Everything else that fails ends with the member's error, so the gateway answers 503 and
 * records it — a model call is never silently run twice.
 */
public final class AgentGroup implements AgentCalls {

    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS");

    private final String name;
    private final List<AgentCalls> members = new CopyOnWriteArrayList<>();
    private final AtomicInteger next = new AtomicInteger();

    public AgentGroup(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Adds a member (a listening agent's client at start, a dialling agent when it attaches). */
    public void add(AgentCalls member) {
        members.add(member);
    }

    /** Removes a member (a dialling agent whose connection ended); its calls in flight end on their own. */
    public void remove(AgentCalls member) {
        members.remove(member);
    }

    /** The members now, listening and dialling. */
    public List<AgentCalls> members() {
        return List.copyOf(members);
    }

    /** How many members would take a call now. */
    public int availableCount() {
        int n = 0;
        for (AgentCalls m : members) {
            if (m.available()) {
                n++;
            }
        }
        return n;
    }

    @Override
    public String target() {
        return members.size() == 1 ? members.get(0).target() : "one of " + members.size() + " agents";
    }

    @Override
    public boolean available() {
        return availableCount() > 0;
    }

    @Override
    public void forward(ForwardRequest request, Instant deadline, StreamObserver<ForwardResponse> responses,
                        Executor home) {
        AgentCalls member = pick(null);
        if (member == null) {
            responses.onError(Status.UNAVAILABLE.withDescription("no agent serving '" + name + "' is connected"
                    + (members.isEmpty() ? "" : " (" + members.size() + " known, none reachable now)"))
                    .asRuntimeException());
            return;
        }
        boolean idempotent = IDEMPOTENT.contains(request.getMethod().toUpperCase(Locale.ROOT));
        new Attempts(request, deadline, responses, home, idempotent).start(member);
    }

    /** The next available member after round-robin, other than {@code not}; any member when none is available. */
    private AgentCalls pick(AgentCalls not) {
        List<AgentCalls> now = members;
        int size = now.size();
        if (size == 0) {
            return null;
        }
        int start = Math.floorMod(next.getAndIncrement(), size);
        AgentCalls fallback = null;
        for (int i = 0; i < size; i++) {
            AgentCalls candidate;
            try {
                candidate = now.get((start + i) % size);
            } catch (IndexOutOfBoundsException removedMeanwhile) {
                break;
            }
            if (candidate == not) {
                continue;
            }
            if (candidate.available()) {
                return candidate;
            }
            fallback = fallback == null ? candidate : fallback;
        }
        return not == null ? fallback : null;
    }

    /**
     * One call through the group: passes everything to the caller's observer, and on UNAVAILABLE before any
     * answer marks the member unreachable and, for an idempotent call, tries one other member. The caller sees
     * one call ({@link Relay}): its demand and cancel go to whichever attempt is current.
     */
    private final class Attempts implements ClientResponseObserver<ForwardRequest, ForwardResponse> {
        private final ForwardRequest request;
        private final Instant deadline;
        private final StreamObserver<ForwardResponse> caller;
        private final Executor home;
        private final boolean idempotent;
        private final Relay relay = new Relay();
        private AgentCalls member;
        private boolean answered;
        private boolean retried;
        private boolean started;

        Attempts(ForwardRequest request, Instant deadline, StreamObserver<ForwardResponse> caller, Executor home,
                 boolean idempotent) {
            this.request = request;
            this.deadline = deadline;
            this.caller = caller;
            this.home = home;
            this.idempotent = idempotent;
        }

        void start(AgentCalls target) {
            member = target;
            target.forward(request, deadline, this, home);
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<ForwardRequest> call) {
            relay.bind(call);
            if (!started) {
                started = true;
                if (caller instanceof ClientResponseObserver<?, ?> observer) {
                    @SuppressWarnings("unchecked")
                    ClientResponseObserver<ForwardRequest, ForwardResponse> typed =
                            (ClientResponseObserver<ForwardRequest, ForwardResponse>) observer;
                    typed.beforeStart(relay);
                }
            }
        }

        @Override
        public void onNext(ForwardResponse value) {
            answered = true;
            caller.onNext(value);
        }

        @Override
        public void onError(Throwable t) {
            Status status = Status.fromThrowable(t);
            if (!answered && status.getCode() == Status.Code.UNAVAILABLE && !relay.cancelled()) {
                member.unreachable();
                // A call no agent ever had is safe to send elsewhere, whatever its method; one already sent is not,
                // unless it is idempotent.
                boolean neverSent = status.getCause() instanceof AgentCalls.NotSent;
                if ((idempotent || neverSent) && !retried) {
                    AgentCalls other = pick(member);
                    if (other != null) {
                        retried = true;
                        start(other);
                        return;
                    }
                }
            }
            caller.onError(t);
        }

        @Override
        public void onCompleted() {
            caller.onCompleted();
        }
    }

    /** The call the caller holds: demand and cancel reach the current attempt; demand is replayed on a retry. */
    private static final class Relay extends ClientCallStreamObserver<ForwardRequest> {
        private ClientCallStreamObserver<ForwardRequest> current;
        private boolean manual;
        private int requested;
        private volatile boolean cancelled;

        synchronized void bind(ClientCallStreamObserver<ForwardRequest> call) {
            current = call;
            if (manual) {
                // No message arrived on the failed attempt, so all demand so far is still owed.
                call.disableAutoRequestWithInitial(requested);
            }
        }

        boolean cancelled() {
            return cancelled;
        }

        @Override
        public synchronized void disableAutoRequestWithInitial(int request) {
            manual = true;
            requested = request;
            if (current != null) {
                current.disableAutoRequestWithInitial(request);
            }
        }

        @Override
        public void disableAutoInboundFlowControl() {
            disableAutoRequestWithInitial(1);
        }

        @Override
        public void request(int count) {
            ClientCallStreamObserver<ForwardRequest> call;
            synchronized (this) {
                requested += count;
                call = current;
            }
            if (call != null) {
                call.request(count);
            }
        }

        @Override
        public void cancel(String message, Throwable cause) {
            cancelled = true;
            ClientCallStreamObserver<ForwardRequest> call;
            synchronized (this) {
                call = current;
            }
            if (call != null) {
                call.cancel(message, cause);
            }
        }

        @Override
        public boolean isReady() {
            return current != null && current.isReady();
        }

        @Override
        public void setOnReadyHandler(Runnable handler) {
            // the request is sent whole with the call: nothing waits to be written
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
