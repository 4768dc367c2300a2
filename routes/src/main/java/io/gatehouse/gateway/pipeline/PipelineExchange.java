package io.gatehouse.gateway.pipeline;

import io.gatehouse.spi.Attributes;
import io.gatehouse.spi.Completion;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayResponse;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.Phase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's exchange: what processors see, plus the bookkeeping the pipeline needs (which step
 * is running, which steps saw the request, whether the exchange is complete).
 */
public final class PipelineExchange implements GatewayExchange {

    /** The Camel exchange property that carries this object through the route. */
    public static final String PROPERTY = "Gatehouse.Exchange";

    private static final Logger LOG = LoggerFactory.getLogger(PipelineExchange.class);

    private final String requestId;
    private final String endpointId;
    private final InboundRequest request;
    private final Operation operation;
    private final ExchangeAttributes attributes = new ExchangeAttributes();
    private final long startNanos;
    private final List<PipelineStep> entered = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean completed = new AtomicBoolean();
    private final Consumer<CompletedExchange> completionListener;
    private volatile UpstreamResponse response;
    private volatile Identity identity;
    private volatile PipelineStep currentStep;
    private volatile io.gatehouse.gateway.http.Problem refusal;

    public PipelineExchange(String requestId, String endpointId, InboundRequest request, Operation operation,
                            long startNanos, Consumer<CompletedExchange> completionListener) {
        this.requestId = requestId;
        this.endpointId = endpointId;
        this.request = request;
        this.operation = operation;
        this.startNanos = startNanos;
        this.completionListener = completionListener;
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
    public InboundRequest request() {
        return request;
    }

    @Override
    public Operation operation() {
        return operation;
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
        PipelineStep step = currentStep;
        if (step == null || step.phase() != Phase.AUTHENTICATE) {
            String who = step == null ? "code outside the pipeline" : "processor '" + step.stepId() + "' (phase "
                    + step.phase() + ")";
            throw new IllegalStateException(who + " may not set the identity: only AUTHENTICATE steps may");
        }
        this.identity = java.util.Objects.requireNonNull(identity, "identity");
    }

    @Override
    public Attributes attributes() {
        return attributes;
    }

    /** Marks the step about to run; it is also remembered as having seen the request. */
    void enter(PipelineStep step) {
        currentStep = step;
        entered.add(step);
    }

    void leave() {
        currentStep = null;
    }

    /** The steps whose request phase ran, in pipeline order. */
    public List<PipelineStep> enteredSteps() {
        synchronized (entered) {
            return List.copyOf(entered);
        }
    }

    /**
     * The gateway refuses this exchange before its steps decide anything (a malformed body, a path or
     * model no endpoint serves, a method the gateway does not serve). Only the endpoint's
     * {@link io.gatehouse.spi.Phase#OBSERVE} steps still see the request — so the refusal is recorded
     * like any denial — and the refusal is the answer ({@link RefusalAnswer}), before the agent.
     */
    public void refuse(io.gatehouse.gateway.http.Problem problem) {
        this.refusal = problem;
    }

    /** The gateway's own refusal, or null. */
    public io.gatehouse.gateway.http.Problem refusal() {
        return refusal;
    }

    public boolean isCompleted() {
        return completed.get();
    }

    /**
     * Ends the exchange once: every step that saw the request learns how it ended, in reverse
     * order. Later calls are ignored, so every path that can end an exchange may call this.
     */
    public void complete(Completion.Kind kind, int status, Outcome.Deny denial, String error) {
        if (!completed.compareAndSet(false, true)) {
            return;
        }
        Completion completion = new Completion(kind, status, denial, error,
                Duration.ofNanos(System.nanoTime() - startNanos));
        List<PipelineStep> steps = enteredSteps();
        for (int i = steps.size() - 1; i >= 0; i--) {
            PipelineStep step = steps.get(i);
            try {
                step.processor().onComplete(this, completion);
            } catch (RuntimeException e) {
                LOG.error("{} failed in onComplete of request {}", step.describe(), requestId, e);
            }
        }
        try {
            completionListener.accept(new CompletedExchange(this, completion));
        } catch (RuntimeException e) {
            LOG.error("completion listener failed for request {}", requestId, e);
        }
    }
}
