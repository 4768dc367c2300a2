package io.gatehouse.engine;

import io.gatehouse.spi.Attributes;
import io.gatehouse.spi.Completion;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.GatewayResponse;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.Phase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exchange every processor sees, in the gateway and in the testkit alike, with the bookkeeping
 * the pipeline contract needs: which step is running (only an {@link Phase#AUTHENTICATE} step may set
 * the identity), which steps saw the request (they, and only they, see the response and the
 * completion, in reverse order), and whether the exchange is complete (exactly once).
 *
 * <p><b>Home.</b> An exchange belongs to an executor — in the gateway the event loop of the client's
 * connection. When a step's stage completes elsewhere (a store's writer, a timer), the engine resumes
 * the exchange on its home, so the rest of the route runs where its connection lives: one thread per
 * request, no hand-offs between pools.
 */
public final class PipelineExchange implements GatewayExchange {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineExchange.class);

    /** Runs a task on the calling thread: the home of exchanges outside a listener (tests, explain). */
    public static final Executor CALLER = Runnable::run;

    private final String requestId;
    private final String endpointId;
    private final GatewayRequest request;
    private final Operation operation;
    private final Executor home;
    private final ExchangeAttributes attributes = new ExchangeAttributes();
    private final long startNanos;
    private final List<Step> entered = new ArrayList<>(6);
    private final AtomicBoolean completed = new AtomicBoolean();
    private final Consumer<CompletedExchange> completionListener;
    private final ExchangeTrace trace;
    private volatile UpstreamResponse response;
    private volatile Identity identity;
    private volatile Step currentStep;
    private volatile Outcome.Deny refusal;

    private PipelineExchange(Builder b) {
        this.requestId = Objects.requireNonNull(b.requestId, "requestId");
        this.endpointId = Objects.requireNonNull(b.endpointId, "endpointId");
        this.request = Objects.requireNonNull(b.request, "request");
        this.operation = Objects.requireNonNull(b.operation, "operation");
        this.home = b.home;
        this.startNanos = b.startNanos;
        this.completionListener = b.completionListener;
        this.identity = b.identity;
        this.trace = b.trace;
    }

    public static Builder builder(String requestId, String endpointId, GatewayRequest request, Operation operation) {
        return new Builder(requestId, endpointId, request, operation);
    }

    /** What the completion listener (metrics, access log) learns of a finished exchange. */
    public record CompletedExchange(PipelineExchange exchange, Completion completion) {
    }

    @Override
    public String requestId() {
        return requestId;
    }

    @Override
    public String endpointId() {
        return endpointId;
    }

    @Override
    public GatewayRequest request() {
        return request;
    }

    @Override
    public Operation operation() {
        return operation;
    }

    /** Where the exchange resumes when a step's stage completes on another thread. */
    public Executor home() {
        return home;
    }

    /** The home, unless it is {@link #CALLER} (which runs tasks inline, so a step must not complete on it). */
    @Override
    public Optional<Executor> eventLoop() {
        return home == CALLER ? Optional.empty() : Optional.of(home);
    }

    /** This exchange's trace, or null when tracing is off (or it was not sampled). */
    public ExchangeTrace trace() {
        return trace;
    }

    /** When the exchange began, on {@link System#nanoTime()}'s scale. */
    public long startNanos() {
        return startNanos;
    }

    @Override
    public Optional<GatewayResponse> response() {
        return Optional.ofNullable(response);
    }

    public UpstreamResponse upstreamResponse() {
        return response;
    }

    public void setResponse(UpstreamResponse response) {
        this.response = response;
    }

    @Override
    public Optional<Identity> identity() {
        return Optional.ofNullable(identity);
    }

    @Override
    public void setIdentity(Identity identity) {
        Objects.requireNonNull(identity, "identity");
        Step step = currentStep;
        if (step == null) {
            throw new IllegalStateException("setIdentity was called while no processor runs on this exchange: only "
                    + "an AUTHENTICATE step may set the identity (a test gives its exchange a caller when building it)");
        }
        if (step.phase() != Phase.AUTHENTICATE) {
            throw new IllegalStateException("processor '" + step.stepId() + "' (phase " + step.phase()
                    + ") may not set the identity: only AUTHENTICATE steps may");
        }
        this.identity = identity;
    }

    @Override
    public Attributes attributes() {
        return attributes;
    }

    /** The step whose callback runs now, or null. */
    public Step currentStep() {
        return currentStep;
    }

    /** Marks the step whose request phase is about to run; it is also remembered as having seen the request. */
    void enter(Step step) {
        currentStep = step;
        synchronized (entered) {
            entered.add(step);
        }
    }

    /** Marks the step whose later callback (response, end, completion) is about to run. */
    void runAs(Step step) {
        currentStep = step;
    }

    void leave() {
        currentStep = null;
    }

    /** The steps whose request phase ran, in pipeline order. */
    public List<Step> enteredSteps() {
        synchronized (entered) {
            return List.copyOf(entered);
        }
    }

    /**
     * The gateway refuses this exchange before its steps decide anything (a malformed body, a path or
     * model no endpoint serves, a method the gateway does not serve). Only the endpoint's
     * {@link Phase#OBSERVE} steps still see the request — so the refusal is recorded like any
     * denial — and the refusal is the answer, before the agent.
     */
    public void refuse(Outcome.Deny refusal) {
        this.refusal = Objects.requireNonNull(refusal, "refusal");
    }

    /** The gateway's own refusal, or null. */
    public Outcome.Deny refusal() {
        return refusal;
    }

    public boolean isCompleted() {
        return completed.get();
    }

    /**
     * Ends the exchange once: every step that saw the request learns how it ended, in reverse
     * order, then the completion listener. Later calls are ignored, so every path that can end an
     * exchange may call this.
     */
    public void complete(Completion.Kind kind, int status, Outcome.Deny denial, String error) {
        if (!completed.compareAndSet(false, true)) {
            return;
        }
        Completion completion = new Completion(kind, status, denial, error,
                Duration.ofNanos(System.nanoTime() - startNanos));
        List<Step> steps = enteredSteps();
        for (int i = steps.size() - 1; i >= 0; i--) {
            StepResult.Broken broken = StepCalls.complete(this, steps.get(i), completion);
            if (broken != null) {
                LOG.error("{} (request {})", broken.message(), requestId, broken.cause());
            }
        }
        if (completionListener != null) {
            try {
                completionListener.accept(new CompletedExchange(this, completion));
            } catch (RuntimeException e) {
                LOG.error("completion listener failed for request {}", requestId, e);
            }
        }
        if (trace != null) {
            try {
                trace.completed(this, completion);
            } catch (RuntimeException e) {
                LOG.warn("tracing the end of request {} failed", requestId, e);
            }
        }
    }

    /** Settings of an exchange; the request id, endpoint, request and operation are required. */
    public static final class Builder {
        private final String requestId;
        private final String endpointId;
        private final GatewayRequest request;
        private final Operation operation;
        private Executor home = CALLER;
        private long startNanos = System.nanoTime();
        private Consumer<CompletedExchange> completionListener;
        private Identity identity;
        private ExchangeTrace trace;

        private Builder(String requestId, String endpointId, GatewayRequest request, Operation operation) {
            this.requestId = requestId;
            this.endpointId = endpointId;
            this.request = request;
            this.operation = operation;
        }

        /** Where the exchange resumes after an asynchronous step; the calling thread by default. */
        public Builder home(Executor home) {
            this.home = Objects.requireNonNull(home, "home");
            return this;
        }

        public Builder startNanos(long startNanos) {
            this.startNanos = startNanos;
            return this;
        }

        public Builder completionListener(Consumer<CompletedExchange> listener) {
            this.completionListener = listener;
            return this;
        }

        /**
         * A caller known before the pipeline runs: a test's given identity, or the caller of an
         * admin request already verified. In the gateway only an AUTHENTICATE step sets it.
         */
        public Builder identity(Identity identity) {
            this.identity = identity;
            return this;
        }

        /** The exchange's trace; null (the default) when tracing is off. */
        public Builder trace(ExchangeTrace trace) {
            this.trace = trace;
            return this;
        }

        public PipelineExchange build() {
            return new PipelineExchange(this);
        }
    }
}
