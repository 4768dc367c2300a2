package io.gatehouse.gateway.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Gives every call on a gateway gRPC listener its {@link GrpcCall}, in the call's {@link Context}
 * where the route finds it (camel-grpc passes the route only the message), tells it when the client
 * half-closes, cancels or can take more, and adds the gateway's response headers when they go out.
 */
final class GrpcCallInterceptor implements ServerInterceptor {

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> serverCall, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        GrpcCall[] self = new GrpcCall[1];
        // The gateway's own response headers (request id, masked count) go out with the first message.
        ServerCall<Q, R> withHeaders = new ForwardingServerCall.SimpleForwardingServerCall<>(serverCall) {
            @Override
            public void sendHeaders(Metadata responseHeaders) {
                self[0].addResponseHeaders(responseHeaders);
                super.sendHeaders(responseHeaders);
            }
        };
        GrpcCall call = new GrpcCall(headers, withHeaders);
        self[0] = call;
        Context context = Context.current().withValue(GrpcCall.KEY, call);
        call.context(context);
        ServerCall.Listener<Q> delegate = Contexts.interceptCall(context, withHeaders, headers, next);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            @Override
            public void onHalfClose() {
                call.onHalfClose();
                super.onHalfClose();
            }

            @Override
            public void onCancel() {
                call.onCancel();
                super.onCancel();
            }

            @Override
            public void onReady() {
                call.onReady();
                super.onReady();
            }
        };
    }
}
