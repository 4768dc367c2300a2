package io.gatehouse.spi;

import java.util.OptionalInt;

/**
 * What the protocol adapter understood of a request, parsed once before the pipeline. Immutable.
 *
 * @param protocol  the adapter: {@code openai}, {@code raw}, …
 * @param kind      what the request asks for
 * @param model     the model named by the request, or null when it names none
 * @param stream    true when the client asked for a streamed response
 * @param batch     how many inputs one request carries ({@code n}, prompt/input array length); 1 when
 *                  single, 0 when the request has no inputs (e.g. list-models)
 * @param maxTokens the requested output cap ({@code max_tokens}, {@code max_completion_tokens}); empty
 *                  when the request sets none, i.e. unbounded
 */
public record Operation(String protocol, OperationKind kind, String model, boolean stream, int batch,
                        OptionalInt maxTokens) {

    public Operation {
        java.util.Objects.requireNonNull(protocol, "protocol");
        java.util.Objects.requireNonNull(kind, "kind");
        java.util.Objects.requireNonNull(maxTokens, "maxTokens");
    }

    /** A request the adapter does not interpret: path, method and size rules only. */
    public static Operation raw(String protocol) {
        return new Operation(protocol, OperationKind.RAW, null, false, 1, OptionalInt.empty());
    }
}
