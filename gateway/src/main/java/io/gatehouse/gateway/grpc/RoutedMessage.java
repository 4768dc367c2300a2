package io.gatehouse.gateway.grpc;

import com.google.protobuf.Message;
import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * One request message of a gRPC call on its way through an endpoint's route (a unary call is one; each
 * message of a stream is one), kept in the Camel exchange property {@value #PROPERTY}.
 *
 * @param call    the call it belongs to
 * @param rpc     the method
 * @param request the message as the client sent it
 * @param answers the model's answer messages as they came, in order, until the client is sent them
 * @param streamed set once a {@link GrpcStreamWriter} answers it (then the writer, not the route's end,
 *                 ends it)
 * @param refusal  the gateway's refusal when no endpoint serves the message (it then goes through the
 *                 endpoint that takes server calls, whose recording records it); null otherwise
 */
record RoutedMessage(GrpcCall call, KServeRpc rpc, Message request, Deque<Message> answers,
                     java.util.concurrent.atomic.AtomicBoolean streamed, io.gatehouse.gateway.http.Problem refusal) {

    static final String PROPERTY = "Gatehouse.GrpcMessage";

    RoutedMessage(GrpcCall call, KServeRpc rpc, Message request, io.gatehouse.gateway.http.Problem refusal) {
        this(call, rpc, request, new ConcurrentLinkedDeque<>(), new java.util.concurrent.atomic.AtomicBoolean(),
                refusal);
    }

    static RoutedMessage of(org.apache.camel.Exchange exchange) {
        return exchange.getProperty(PROPERTY, RoutedMessage.class);
    }
}
