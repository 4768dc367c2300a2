package io.gatehouse.gateway.pipeline;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Runs every step's {@code onResponseEnd} in reverse pipeline order, one after the other, and
 * names the step whose stage failed or broke the contract.
 */
final class ResponseEndHooks {

    /** A step's end hook failed; the message names the step. */
    static final class HookFailedException extends RuntimeException {
        HookFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private ResponseEndHooks() {
    }

    static CompletableFuture<Void> run(PipelineExchange px) {
        List<PipelineStep> steps = px.enteredSteps();
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (int i = steps.size() - 1; i >= 0; i--) {
            PipelineStep step = steps.get(i);
            chain = chain.thenCompose(ignored -> call(step, px));
        }
        return chain;
    }

    private static CompletableFuture<Void> call(PipelineStep step, PipelineExchange px) {
        CompletionStage<Void> stage;
        try {
            stage = step.processor().onResponseEnd(px);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new HookFailedException(step.describe() + " threw in onResponseEnd", e));
        }
        if (stage == null) {
            return CompletableFuture.failedFuture(
                    new HookFailedException(step.describe() + " returned null from onResponseEnd", null));
        }
        return stage.toCompletableFuture().handle((v, e) -> {
            if (e != null) {
                Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause() : e;
                throw new HookFailedException(step.describe() + " failed in onResponseEnd: " + cause.getMessage(),
                        cause);
            }
            return null;
        });
    }
}
