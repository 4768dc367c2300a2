package io.gatehouse.engine;

import io.gatehouse.spi.Phase;
import java.util.ArrayList;
import java.util.List;

/**
 * The order rules a pipeline must follow, checked when the config is loaded (not per request):
 * <ol>
 *   <li>{@link Phase#OBSERVE} steps (recording) come first, so every exchange is seen, denials
 *       included;</li>
 *   <li>{@link Phase#APPROVE} steps come after every {@link Phase#AUTHENTICATE} and
 *       {@link Phase#AUTHORIZE} step: an approval is bound to a known caller and to what the policy
 *       decided;</li>
 *   <li>{@link Phase#TRANSFORM} steps (masking) come after every {@link Phase#AUTHENTICATE} and
 *       {@link Phase#AUTHORIZE} step: what a caller may see depends on who it is, and nothing is
 *       rewritten for a request that will be refused.</li>
 * </ol>
 * The response phase runs in reverse, so these rules also put masking nearest the model and the
 * recording nearest the client: the record holds what the client was sent.
 */
public final class PipelineOrder {

    /** One broken rule: the index of the misplaced step and why. */
    public record Violation(int index, String message) {
    }

    private PipelineOrder() {
    }

    /** Every rule the steps break; empty when the order is fine. */
    public static List<Violation> check(List<Step> steps) {
        List<Violation> violations = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            switch (step.phase()) {
                case OBSERVE -> {
                    Step before = firstBefore(steps, i, p -> p != Phase.OBSERVE);
                    if (before != null) {
                        violations.add(new Violation(i, "step '" + step.stepId() + "' (phase OBSERVE) must come before '"
                                + before.stepId() + "' (phase " + before.phase() + "): observers go first in the pipeline,"
                                + " so they see every exchange, denials included"));
                    }
                }
                case APPROVE, TRANSFORM -> {
                    Step after = firstAfter(steps, i, p -> p == Phase.AUTHENTICATE || p == Phase.AUTHORIZE);
                    if (after != null) {
                        violations.add(new Violation(i, "step '" + step.stepId() + "' (phase " + step.phase()
                                + ") must come after '" + after.stepId() + "' (phase " + after.phase() + "): "
                                + (step.phase() == Phase.APPROVE
                                ? "an approval binds a verified caller and the policy's decision"
                                : "what is rewritten depends on who calls, and a refused request needs no rewriting")));
                    }
                }
                default -> {
                }
            }
        }
        return violations;
    }

    private static Step firstBefore(List<Step> steps, int index, java.util.function.Predicate<Phase> match) {
        for (int j = 0; j < index; j++) {
            if (match.test(steps.get(j).phase())) {
                return steps.get(j);
            }
        }
        return null;
    }

    private static Step firstAfter(List<Step> steps, int index, java.util.function.Predicate<Phase> match) {
        for (int j = index + 1; j < steps.size(); j++) {
            if (match.test(steps.get(j).phase())) {
                return steps.get(j);
            }
        }
        return null;
    }
}
