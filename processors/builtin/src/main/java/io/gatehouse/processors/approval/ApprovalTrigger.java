package io.gatehouse.processors.approval;

import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * When the approval step holds a request on its own judgement (besides a policy's
 * {@code require-approval}): its operation is one of {@code operations}, or it carries at least
 * {@code minBatch} inputs, or {@code condition} holds. Each may be left out; with all out the step
 * holds only what a policy marks.
 *
 * <pre>{@code
 * when:
 *   operations: [batch-create, fine-tune, model-load]
 *   minBatch: 64
 *   condition: operation.kind == "embeddings" && operation.batch > 1000
 * }</pre>
 *
 * @param operations operation kinds, as the protocol adapter names them ({@code batch-create}, …)
 * @param minBatch   hold any request whose batch ({@code n}, prompt or input array length) is at least this
 * @param condition  a CEL expression over {@code operation}, {@code identity} and {@code request}
 *                   ({@link ApprovalCondition}); a request it cannot be evaluated on is held
 */
public record ApprovalTrigger(Set<String> operations, Integer minBatch, String condition) {

    static final Set<String> KINDS = Arrays.stream(OperationKind.values()).map(OperationKind::configName)
            .collect(Collectors.toCollection(TreeSet::new));

    public ApprovalTrigger {
        operations = operations == null ? Set.of() : Set.copyOf(operations);
        for (String op : operations) {
            if (!KINDS.contains(op)) {
                throw new ConfigException("when.operations", "'" + op + "' is not an operation kind (expected one of "
                        + String.join(", ", KINDS) + ")");
            }
        }
        if (minBatch != null && minBatch < 1) {
            throw new ConfigException("when.minBatch", "must be at least 1, got " + minBatch);
        }
        if (condition != null) {
            try {
                ApprovalCondition.compile(condition);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("when.condition", "is not a valid CEL condition: " + e.getMessage());
            }
        }
    }

    public static ApprovalTrigger none() {
        return new ApprovalTrigger(null, null, null);
    }

    /** The compiled condition, or null. */
    ApprovalCondition compiledCondition() {
        return condition == null ? null : ApprovalCondition.compile(condition);
    }

    /** Why this operation must be approved, or null when operations and minBatch do not ask for it. */
    String matches(Operation operation) {
        if (operations.contains(operation.kind().configName())) {
            return "operation " + operation.kind().configName() + " needs an approval";
        }
        if (minBatch != null && operation.batch() >= minBatch) {
            return "batch " + operation.batch() + " >= " + minBatch;
        }
        return null;
    }
}
