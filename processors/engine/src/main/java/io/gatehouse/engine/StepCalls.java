package io.gatehouse.engine;

import io.gatehouse.spi.Completion;
import io.gatehouse.spi.Outcome;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;

/**
 * The one place the pipeline calls processors. Each call checks the chain contract (an outcome, not
 * null; no exception; a stage that completes) and turns a breach into a {@link StepResult.Broken}
 * that names the step, so every caller — a Camel node, the testkit, policy explain — reports it the
 * same way.
 */
public final class StepCalls {

    private StepCalls() {
    }

    /**
     * Runs one step's request phase. A stage that completes on another thread resumes on the
     * exchange's {@link PipelineExchange#home() home}.
     */
    public static CompletionStage<StepResult> request(PipelineExchange exchange, Step step) {
        // Tracing off: trace is null and this is the only cost (no span, no allocation).
        ExchangeTrace trace = exchange.trace();
        ExchangeTrace.StepTrace span = trace == null ? null : trace.stepStarted(exchange, step);
        exchange.enter(step);
        CompletionStage<Outcome> stage;
        try {
            stage = step.processor().onRequestAsync(exchange);
        } catch (RuntimeException e) {
            exchange.leave();
            return CompletableFuture.completedFuture(traced(exchange, span,
                    new StepResult.Broken(step.describe() + " threw " + e, e)));
        }
        if (stage == null) {
            exchange.leave();
            return CompletableFuture.completedFuture(traced(exchange, span,
                    new StepResult.Broken(step.describe() + " returned null from onRequestAsync", null)));
        }
        CompletableFuture<Outcome> future = stage.toCompletableFuture();
        if (future.isDone()) {
            return CompletableFuture.completedFuture(traced(exchange, span, settle(exchange, step, future)));
        }
        CompletableFuture<StepResult> result = new CompletableFuture<>();
        future.whenComplete((outcome, error) -> resume(exchange,
                () -> result.complete(traced(exchange, span, settle(exchange, step, future)))));
        return result;
    }

    private static StepResult traced(PipelineExchange exchange, ExchangeTrace.StepTrace span, StepResult result) {
        if (span != null) {
            try {
                span.ended(exchange, result);
            } catch (RuntimeException e) {
                // A tracer's fault must never change an exchange's outcome.
                org.slf4j.LoggerFactory.getLogger(StepCalls.class).warn("tracing a step failed (request {})",
                        exchange.requestId(), e);
            }
        }
        return result;
    }

    private static StepResult settle(PipelineExchange exchange, Step step, CompletableFuture<Outcome> future) {
        exchange.leave();
        Outcome outcome;
        try {
            outcome = future.join();
        } catch (CompletionException | CancellationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return new StepResult.Broken(step.describe() + " failed: " + cause, cause);
        }
        if (outcome == null) {
            return new StepResult.Broken(step.describe() + " completed onRequestAsync with null", null);
        }
        return StepResult.of(outcome);
    }

    /**
     * Runs the response phase: {@code onResponse} of every step that saw the request, in reverse
     * pipeline order, each with the body open for its attachments; then the body is sealed.
     *
     * @return null, or what broke (the first step that threw)
     */
    public static StepResult.Broken respond(PipelineExchange exchange, UpstreamResponse response) {
        exchange.setResponse(response);
        List<Step> steps = exchange.enteredSteps();
        ChunkPipeline pipeline = response.pipelineBody().pipeline();
        try {
            for (int i = steps.size() - 1; i >= 0; i--) {
                StepResult.Broken broken = respond(exchange, steps.get(i), pipeline);
                if (broken != null) {
                    return broken;
                }
            }
            return null;
        } finally {
            pipeline.seal();
        }
    }

    /** One step's {@code onResponse}; the caller seals the body afterwards. */
    public static StepResult.Broken respond(PipelineExchange exchange, Step step, ChunkPipeline pipeline) {
        exchange.runAs(step);
        pipeline.openFor(step);
        try {
            step.processor().onResponse(exchange);
            return null;
        } catch (RuntimeException e) {
            return new StepResult.Broken(step.describe() + " threw in onResponse: " + e, e);
        } finally {
            pipeline.openFor(null);
            exchange.leave();
        }
    }

    /**
     * Runs {@code onResponseEnd} of every step that saw the request, in reverse pipeline order, one
     * after the other. The returned future completes on the exchange's home; it fails with a
     * {@link HookFailedException} naming the step whose stage failed or broke the contract.
     */
    public static CompletableFuture<Void> responseEnd(PipelineExchange exchange) {
        List<Step> steps = exchange.enteredSteps();
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (int i = steps.size() - 1; i >= 0; i--) {
            Step step = steps.get(i);
            chain = chain.thenCompose(ignored -> responseEnd(exchange, step));
        }
        if (chain.isDone()) {
            return chain;
        }
        CompletableFuture<Void> resumed = new CompletableFuture<>();
        chain.whenComplete((v, error) -> resume(exchange, () -> {
            if (error != null) {
                resumed.completeExceptionally(unwrap(error));
            } else {
                resumed.complete(null);
            }
        }));
        return resumed;
    }

    /** One step's {@code onResponseEnd}, failing with a {@link HookFailedException} that names it. */
    public static CompletableFuture<Void> responseEnd(PipelineExchange exchange, Step step) {
        CompletionStage<Void> stage;
        exchange.runAs(step);
        try {
            stage = step.processor().onResponseEnd(exchange);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new HookFailedException(step.describe() + " threw in onResponseEnd", e));
        } finally {
            exchange.leave();
        }
        if (stage == null) {
            return CompletableFuture.failedFuture(
                    new HookFailedException(step.describe() + " returned null from onResponseEnd", null));
        }
        return stage.toCompletableFuture().handle((v, e) -> {
            if (e != null) {
                Throwable cause = unwrap(e);
                throw new HookFailedException(step.describe() + " failed in onResponseEnd: " + cause.getMessage(), cause);
            }
            return null;
        });
    }

    /** One step's {@code onComplete}, which must not throw. @return null, or the breach */
    public static StepResult.Broken complete(PipelineExchange exchange, Step step, Completion completion) {
        exchange.runAs(step);
        try {
            step.processor().onComplete(exchange, completion);
            return null;
        } catch (RuntimeException e) {
            return new StepResult.Broken(step.describe() + " threw from onComplete, which must not throw", e);
        } finally {
            exchange.leave();
        }
    }

    /** A step's end hook failed; the message names the step. */
    public static final class HookFailedException extends RuntimeException {
        public HookFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static void resume(PipelineExchange exchange, Runnable task) {
        try {
            exchange.home().execute(task);
        } catch (RejectedExecutionException e) {
            task.run(); // the home is shutting down: finish here rather than strand the exchange
        }
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
