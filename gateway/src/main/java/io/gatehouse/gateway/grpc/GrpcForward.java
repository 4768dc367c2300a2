package io.gatehouse.gateway.grpc;

import com.google.protobuf.Message;
import io.gatehouse.gateway.http.HttpAnswers;
import io.gatehouse.gateway.http.Problem;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.spi.Completion;
import io.grpc.Context;
import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProducer;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.support.service.ServiceHelper;

/**
 * The agent call of a gRPC endpoint: the message as the steps left it (BYTES inputs masked, outputs
 * filtered) is encoded again and sent with the call's path; the agent call starts inside the client's
 * call {@link Context}, so the client's deadline bounds it and the client's cancel cancels it — and
 * through the agent, the model's call.
 */
public final class GrpcForward extends AsyncProcessorSupport {

    private final Endpoint agent;
    private AsyncProducer producer;

    public GrpcForward(Endpoint agent) {
        this.agent = agent;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        PipelineExchange px = io.gatehouse.gateway.pipeline.RouteExchanges.pipeline(exchange);
        RoutedMessage routed = RoutedMessage.of(exchange);
        if (routed.call().cancelled()) {
            Problem gone = Problem.of(499, "Client closed request", "the client cancelled the call before it was forwarded");
            HttpAnswers.problem(exchange, gone, px.requestId(), px.request().path(), false);
            px.complete(Completion.Kind.CLIENT_GONE, 499, null, "the client cancelled the call before it was forwarded");
            callback.done(true);
            return true;
        }
        Context previous = routed.call().context().attach();
        try {
            Message forward = RequestJson.encode(routed.rpc(), routed.request(), px.request().body());
            px.request().replaceBody(forward.toByteArray());
            px.request().headers().set("Content-Type", "application/grpc");
            return producer.process(exchange, callback);
        } catch (RuntimeException e) {
            // the route's failure handler answers (INTERNAL, with the request id) and completes the exchange
            exchange.setException(e);
            callback.done(true);
            return true;
        } finally {
            routed.call().context().detach(previous);
        }
    }

    @Override
    protected void doStart() throws Exception {
        producer = agent.createAsyncProducer();
        ServiceHelper.startService(producer);
    }

    @Override
    protected void doStop() throws Exception {
        ServiceHelper.stopService(producer);
    }
}
