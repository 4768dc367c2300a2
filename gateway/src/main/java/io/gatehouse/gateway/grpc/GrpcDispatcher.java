package io.gatehouse.gateway.grpc;

import com.google.protobuf.Message;
import io.gatehouse.gateway.http.Problem;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Glob;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.grpc.GrpcConstants;
import org.apache.camel.support.DefaultExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one node of a gRPC listener's route: finds the endpoint that serves the model a message names
 * (server-level calls go to the endpoint that takes them) and sends the message into that endpoint's
 * route. A unary call is answered when its route ends; the messages of a stream run one after the other,
 * each through the whole pipeline, and the call ends after the last.
 */
public final class GrpcDispatcher implements Processor {

    /** An endpoint on this listener: which models it serves (policy rules' patterns), and the way into its route. */
    public record Target(String endpointId, List<Glob> models, boolean serverCalls, AsyncProducer route) {

        public static Target of(String endpointId, List<String> patterns, boolean serverCalls, AsyncProducer route) {
            return new Target(endpointId, patterns.stream().map(Glob::of).toList(), serverCalls, route);
        }

        boolean serves(String model) {
            return models.stream().anyMatch(g -> g.matches(model));
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(GrpcDispatcher.class);

    private final String listener;
    /** Swapped whole by a reload: a message is dispatched on the list it read once. */
    private volatile List<Target> targets;
    private final CamelContext camel;

    public GrpcDispatcher(String listener, List<Target> targets, CamelContext camel) {
        this.listener = listener;
        this.targets = List.copyOf(targets);
        this.camel = camel;
    }

    /** The endpoints of this listener from now on (a reload added, removed or changed some). */
    public void retarget(List<Target> next) {
        targets = List.copyOf(next);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void process(Exchange exchange) {
        GrpcCall call = GrpcCall.KEY.get();
        StreamObserver<Object> observer = exchange.getProperty(GrpcConstants.GRPC_RESPONSE_OBSERVER, StreamObserver.class);
        if (call == null || observer == null) {
            throw new IllegalStateException("gRPC listener '" + listener + "' routed a message without its call;"
                    + " the listener is not set up with the gateway's interceptor");
        }
        call.observer(observer);
        String javaName = exchange.getIn().getHeader(GrpcConstants.GRPC_METHOD_NAME_HEADER, String.class);
        Optional<KServeRpc> rpc = KServeRpc.forJavaName(javaName);
        if (rpc.isEmpty()) {
            call.fail(Status.UNIMPLEMENTED.withDescription("method " + javaName + " is not served by the gateway"),
                    new Metadata());
            return;
        }
        Message request = exchange.getIn().getBody(Message.class);
        String model = RequestJson.model(rpc.get(), request);
        List<Target> targets = this.targets;
        Optional<Target> serverCalls = targets.stream().filter(Target::serverCalls).findFirst();
        Optional<Target> target = !rpc.get().served() || model == null ? serverCalls
                : targets.stream().filter(t -> t.serves(model)).findFirst();
        Problem refusal = null;
        if (!rpc.get().served()) {
            refusal = refusal(501, "Not implemented", "the gateway does not serve " + rpc.get().wireName(),
                    "unserved-method");
        } else if (model != null && model.isEmpty()) {
            target = serverCalls;
            refusal = refusal(400, "Malformed request", rpc.get().wireName() + " names no model; set its model"
                    + " name", "malformed-message");
        } else if (model != null && target.isEmpty() && serverCalls.isPresent()) {
            // Recorded by the endpoint that takes server calls, then refused.
            target = serverCalls;
            refusal = refusal(404, "Not found", "no endpoint on this listener serves model '" + model + "'",
                    "unknown-model");
        }
        if (target.isEmpty()) {
            LOG.info("gRPC {} on listener '{}': no endpoint serves {} (not recorded: no endpoint takes server calls)",
                    rpc.get().wireName(), listener, model == null ? "server-level calls" : "model '" + model + "'");
            call.fail(model != null && model.isEmpty()
                    ? Status.INVALID_ARGUMENT.withDescription(rpc.get().wireName() + " names no model; set its model name")
                    : !rpc.get().served() || model == null
                    ? Status.UNIMPLEMENTED.withDescription(rpc.get().wireName() + " is not served on this listener")
                    : Status.NOT_FOUND.withDescription("no endpoint on this listener serves model '" + model + "'"),
                    new Metadata());
            return;
        }
        RoutedMessage routed = new RoutedMessage(call, rpc.get(), request, refusal);
        Target chosen = target.get();
        Runnable run = () -> start(chosen, routed);
        if (rpc.get().streaming()) {
            call.submit(run);
        } else {
            run.run();
        }
    }

    private static Problem refusal(int status, String title, String detail, String rule) {
        return new Problem(status, title, detail, new DecidingRule("gateway", rule, detail), java.util.Map.of());
    }

    private void start(Target target, RoutedMessage routed) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.setProperty(RoutedMessage.PROPERTY, routed);
        try {
            target.route().process(exchange, doneSync -> GrpcReplies.reply(exchange));
        } catch (RuntimeException e) {
            LOG.error("gRPC message for endpoint '{}' could not enter its route", target.endpointId(), e);
            routed.call().fail(Status.INTERNAL.withDescription("the gateway failed to route the call"), new Metadata());
        }
    }
}
