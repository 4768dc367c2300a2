package io.gatehouse.cli.policy;

import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.OperationKind;

/**
 * An operation as a protocol adapter reports it, for a case that states it instead of a body.
 *
 * @param kind      {@code chat}, {@code embeddings}, {@code infer}, {@code model-load} …
 * @param model     the model named
 * @param batch     inputs per request (default 1)
 * @param stream    a streamed answer was asked for
 * @param maxTokens the output cap asked for (absent: none)
 */
public record TestOperation(OperationKind kind, String model, Integer batch, Boolean stream, Integer maxTokens) {

    public TestOperation {
        if (kind == null) {
            throw new ConfigException("kind", "is required, e.g. kind: infer");
        }
        if (batch != null && batch < 0) {
            throw new ConfigException("batch", "must be 0 or more");
        }
    }
}
