package io.gatehouse.gateway.protocol;

import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.Operation;

/**
 * Understands one wire protocol: parses a request once, before the pipeline, into an
 * {@link Operation}. Processors read the operation and never re-parse the body.
 */
public interface ProtocolAdapter {

    /** The name used in endpoint config: {@code openai}, {@code raw}. */
    String name();

    /**
     * @throws MalformedRequestException when the body cannot be what the path says it is; the client
     *                                   gets 400 with the message
     */
    Operation parse(GatewayRequest request);

    /** Whether problem answers should also carry the protocol's own error shape. */
    default boolean openAiErrors() {
        return false;
    }
}
