package io.gatehouse.gateway.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Message;
import io.gatehouse.agent.camel.AgentCallException;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.spi.Completion;
import io.grpc.Metadata;
import io.grpc.Status;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a gRPC call once its message's route is over. The steps answer as they do on HTTP (a problem,
 * an approval hold, or the model's answer after the response phase); here that answer becomes the
 * message for the client, or the status that ends the call. A streamed answer was already sent by
 * {@link GrpcStreamWriter}.
 */
final class GrpcReplies {

    /** Exchange property: the gRPC status the model ended its call with, to pass on as it is. */
    static final String UPSTREAM_STATUS = "Gatehouse.GrpcUpstreamStatus";

    private static final Logger LOG = LoggerFactory.getLogger(GrpcReplies.class);

    private GrpcReplies() {
    }

    /** Before the HTTP-style failure answer: keeps the model's own gRPC status, and notes a cancelled client. */
    static final Processor NOTE_FAILURE = exchange -> {
        Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        statusOf(error).ifPresent(status -> exchange.setProperty(UPSTREAM_STATUS, status));
        RoutedMessage routed = RoutedMessage.of(exchange);
        PipelineExchange px = io.gatehouse.gateway.pipeline.RouteExchanges.pipeline(exchange);
        if (routed != null && px != null && routed.call().cancelled()) {
            px.complete(Completion.Kind.CLIENT_GONE, 499, null, "the client cancelled the call: " + error);
        }
    };

    /** The status a failure carries from the model through the agent, if it carries one. */
    static Optional<Status> statusOf(Throwable error) {
        Throwable t = error;
        while (t != null) {
            if (t instanceof AgentCallException agent && agent.grpcStatus().isPresent()) {
                return Optional.of(Status.fromCodeValue(agent.grpcStatus().getAsInt())
                        .withDescription(agent.getMessage()));
            }
            t = t.getCause();
        }
        return Optional.empty();
    }

    static void reply(Exchange exchange) {
        RoutedMessage routed = RoutedMessage.of(exchange);
        if (routed.streamed().get()) {
            return;
        }
        GrpcCall call = routed.call();
        PipelineExchange px = io.gatehouse.gateway.pipeline.RouteExchanges.pipeline(exchange);
        String requestId = px != null ? px.requestId() : "none";
        Metadata trailers = new Metadata();
        trailers.put(GrpcStatuses.REQUEST_ID, requestId);
        try {
            Object body = exchange.getMessage().getBody();
            if (!(body instanceof FullHttpResponse response)) {
                LOG.error("request {}: the route of a gRPC call ended without an answer", requestId,
                        exchange.getException());
                if (px != null) {
                    px.complete(Completion.Kind.FAILED, 500, null, "no answer: " + exchange.getException());
                }
                call.fail(Status.INTERNAL.withDescription("the gateway failed; quote request id " + requestId
                        + " to the gateway's operators"), trailers);
                return;
            }
            int status = response.status().code();
            byte[] bytes = ByteBufUtil.getBytes(response.content());
            Map<String, String> headers = new LinkedHashMap<>();
            response.headers().forEach(h -> headers.putIfAbsent(h.getKey(), h.getValue()));
            Status upstream = exchange.getProperty(UPSTREAM_STATUS, Status.class);
            if (upstream != null) {
                call.fail(upstream, trailers);
            } else if (status == 202) {
                call.fail(GrpcStatuses.held(json(bytes), headers, requestId, trailers), trailers);
            } else if (status >= 200 && status < 300) {
                Message original = routed.answers().poll();
                if (original == null) {
                    call.fail(Status.UNAVAILABLE.withDescription("the model ended the call without an answer"),
                            trailers);
                    return;
                }
                call.responseHeader(GrpcStatuses.REQUEST_ID.name(), requestId);
                headers.entrySet().stream().filter(h -> h.getKey().equalsIgnoreCase("Gatehouse-Masked")).findFirst()
                        .ifPresent(h -> call.responseHeader("gatehouse-masked", h.getValue()));
                call.send(ResponseJson.fromJson(routed.rpc(), original, json(bytes)));
                if (!routed.rpc().streaming()) {
                    call.complete();
                }
            } else {
                call.fail(GrpcStatuses.problem(status, json(bytes), headers, requestId, trailers), trailers);
            }
        } catch (RuntimeException e) {
            LOG.error("request {}: answering the gRPC call failed", requestId, e);
            call.fail(Status.INTERNAL.withDescription("the gateway failed; quote request id " + requestId
                    + " to the gateway's operators"), trailers);
        } finally {
            if (routed.rpc().streaming()) {
                call.done();
            }
        }
    }

    private static JsonNode json(byte[] bytes) {
        try {
            return RequestJson.JSON.readTree(bytes);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the answer is not JSON", e);
        }
    }
}
