package io.gatehouse.gateway.grpc;

import io.gatehouse.engine.RequestIds;
import io.gatehouse.gateway.pipeline.ExchangeOpener;
import io.gatehouse.engine.InboundRequest;
import io.gatehouse.agent.camel.AgentComponent;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.gateway.pipeline.StreamAnswerer;
import io.gatehouse.gateway.protocol.MalformedRequestException;
import io.gatehouse.gateway.protocol.ProtocolAdapter;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.Outcome;
import io.gatehouse.gateway.pipeline.RouteExchanges;
import io.gatehouse.gateway.pipeline.EndpointPipeline;
import io.gatehouse.gateway.pipeline.EndpointSlot;
import io.gatehouse.spi.StandardAttributes;
import io.grpc.Deadline;
import io.grpc.Metadata;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * The first node of a gRPC endpoint's route: turns one request message into a {@link PipelineExchange}.
 * The request the steps see has the call's path ({@code POST /inference.GRPCInferenceService/ModelInfer}),
 * the call's metadata as headers, and the message as its KServe v2 REST JSON; the protocol adapter
 * classifies that REST equivalent, so policies read the same operation, model and batch as on HTTP.
 */
public final class GrpcCallOpener implements Processor {

    private final EndpointSlot slot;
    private final Consumer<PipelineExchange.CompletedExchange> completionListener;
    private final AgentComponent agents;
    /** Null when tracing is off. */
    private final io.gatehouse.gateway.tracing.GatewayTracing tracing;

    /**
     * @param slot   where the route finds the endpoint pipeline of its next message (swapped by reloads)
     * @param agents where exchanges find their home event loop; null for none (tests without agents)
     */
    public GrpcCallOpener(EndpointSlot slot, Consumer<PipelineExchange.CompletedExchange> completionListener,
                          AgentComponent agents) {
        this(slot, completionListener, agents, null);
    }

    /** @param tracing the gateway's traces; null when tracing is off */
    public GrpcCallOpener(EndpointSlot slot, Consumer<PipelineExchange.CompletedExchange> completionListener,
                          AgentComponent agents, io.gatehouse.gateway.tracing.GatewayTracing tracing) {
        this.tracing = tracing;
        this.agents = agents;
        this.slot = slot;
        this.completionListener = completionListener;
    }

    @Override
    public void process(Exchange exchange) {
        long start = System.nanoTime();
        // The one read of the swapped pipeline (the dispatcher only routes to endpoints that have one).
        EndpointPipeline pipeline = slot.current();
        if (pipeline == null) {
            throw new IllegalStateException("a gRPC message reached an endpoint route that serves no endpoint");
        }
        ProtocolAdapter adapter = pipeline.adapter();
        RoutedMessage routed = RoutedMessage.of(exchange);
        GrpcCall call = routed.call();
        String requestId = RequestIds.next();
        Headers headers = headers(call.headers());
        headers.set("Content-Type", "application/json");

        RequestJson.RestView rest;
        Operation operation;
        String failure = null;
        try {
            rest = RequestJson.rest(routed.rpc(), routed.request());
            operation = adapter.parse(new InboundRequest(rest.method(), rest.path(), "", headers, call.peer(),
                    rest.body()));
            if (routed.rpc().streaming()) {
                operation = new Operation(operation.protocol(), operation.kind(), operation.model(), true,
                        operation.batch(), operation.maxTokens());
            }
        } catch (MalformedRequestException e) {
            rest = new RequestJson.RestView("POST", routed.rpc().path(), new byte[0]);
            operation = Operation.raw(adapter.name());
            failure = e.getMessage();
        }
        InboundRequest request = new InboundRequest("POST", routed.rpc().path(), "", headers, call.peer(), rest.body());
        // A gRPC call runs on the agent component's event loop that serves its connection
        // (EventLoopGrpcEndpoint): that loop is its home, so a step that waits, the agent call and the
        // answer continue on the thread the call arrived on.
        PipelineExchange px = PipelineExchange.builder(requestId, pipeline.id(), request, operation)
                .trace(tracing == null ? null
                        : tracing.openGrpc(requestId, pipeline.id(), routed.rpc().path(), headers, operation))
                .home(agents == null ? PipelineExchange.CALLER : agents.currentOrNextCallerLoop())
                .startNanos(start)
                .completionListener(ExchangeOpener.inFlight(pipeline, completionListener))
                .build();
        px.attributes().put(StandardAttributes.CONFIG_VERSION, pipeline.version());
        RouteExchanges.attach(exchange, px);
        RouteExchanges.attach(exchange, pipeline);
        RouteExchanges.setStreamAnswerer(exchange, new GrpcStreamWriter(routed));
        Deadline deadline = call.context().getDeadline();
        if (deadline != null) {
            px.attributes().put(StandardAttributes.DEADLINE,
                    Instant.now().plusNanos(Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS))));
        }
        if (pipeline.closing()) {
            px.refuse(EndpointPipeline.shuttingDown());
        } else if (routed.refusal() != null) {
            px.refuse(routed.refusal().asDenial());
        } else if (failure != null) {
            // Refused before the steps: recording still sees it, RefusalAnswer answers.
            px.refuse(Outcome.deny(400, "Malformed request", failure,
                    new DecidingRule("gateway", "malformed-message", failure)));
        }
    }

    /**
     * The call's metadata as request headers: text entries only ({@code -bin} ones are binary), without
     * gRPC's own ({@code grpc-*}, {@code content-type}, {@code te}) and, as on HTTP, without any in the
     * gateway's namespace except the approval flow's client inputs.
     */
    static Headers headers(Metadata metadata) {
        Headers headers = new Headers();
        for (String key : metadata.keys()) {
            String lower = key.toLowerCase(Locale.ROOT);
            if (lower.endsWith(Metadata.BINARY_HEADER_SUFFIX) || lower.startsWith("grpc-") || lower.startsWith(":")
                    || lower.equals("content-type") || lower.equals("te")
                    || lower.startsWith("gatehouse-") && !ExchangeOpener.CLIENT_HEADERS.contains(lower)) {
                continue;
            }
            Iterable<String> values = metadata.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
            if (values != null) {
                values.forEach(v -> headers.add(key, v));
            }
        }
        return headers;
    }
}
