package io.gatehouse.agent;

import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.Header;
import io.gatehouse.agent.tracing.Tracing;
import io.grpc.stub.ServerCallStreamObserver;
import io.netty.channel.EventLoop;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A service with tracing on (used only then): each Forward gets a SERVER span, continued from the trace
 * context the gateway wrote into the Forward's headers, and a CLIENT child for the call to the model server,
 * whose context replaces the {@code traceparent}/{@code tracestate} the model receives (an HTTP header, or
 * gRPC metadata for a gRPC service: both are built from the Forward's headers). Both spans end when the
 * call's answer to the gateway ends (completed, failed or cancelled). Attributes never hold a header value
 * or a body.
 */
final class TracedTarget implements ServiceTarget {

    private static final TextMapGetter<ForwardRequest> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(ForwardRequest carrier) {
            List<String> keys = new ArrayList<>(carrier.getHeadersCount());
            carrier.getHeadersList().forEach(h -> keys.add(h.getName()));
            return keys;
        }

        @Override
        public String get(ForwardRequest carrier, String key) {
            if (carrier == null) {
                return null;
            }
            for (Header h : carrier.getHeadersList()) {
                if (h.getName().equalsIgnoreCase(key)) {
                    return h.getValue();
                }
            }
            return null;
        }
    };

    private final ServiceTarget target;
    private final Tracing tracing;
    private final boolean grpc;
    private final Set<String> fields;

    TracedTarget(ServiceTarget target, Tracing tracing, boolean grpc) {
        this.target = target;
        this.tracing = tracing;
        this.grpc = grpc;
        this.fields = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        this.fields.addAll(tracing.propagator().fields());
    }

    @Override
    public String name() {
        return target.name();
    }

    @Override
    public void forward(ForwardRequest request, ServerCallStreamObserver<ForwardResponse> out, EventLoop loop) {
        Context parent = tracing.propagator().extract(Context.root(), request, HEADERS);
        Span server = tracing.tracer().spanBuilder("gatehouse.agent.v1.Agent/Forward").setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute("rpc.system", "grpc")
                .setAttribute("rpc.service", "gatehouse.agent.v1.Agent")
                .setAttribute("rpc.method", "Forward")
                .setAttribute("gatehouse.request_id", request.getRequestId())
                .setAttribute("gatehouse.service", target.name())
                .startSpan();
        String path = pathOf(request.getPath());
        var client = tracing.tracer().spanBuilder(grpc ? path.substring(1) : request.getMethod())
                .setParent(parent.with(server)).setSpanKind(SpanKind.CLIENT)
                .setAttribute("gatehouse.request_id", request.getRequestId())
                .setAttribute("gatehouse.service", target.name());
        if (grpc) {
            client.setAttribute("rpc.system", "grpc");
        } else {
            client.setAttribute("http.request.method", request.getMethod()).setAttribute("url.path", path);
        }
        Span model = client.startSpan();
        // The model continues from the model-call span: the caller's context fields are replaced, not added to.
        ForwardRequest.Builder traced = request.toBuilder().clearHeaders();
        for (Header h : request.getHeadersList()) {
            if (!fields.contains(h.getName())) {
                traced.addHeaders(h);
            }
        }
        tracing.propagator().inject(Context.root().with(model), traced,
                (b, name, value) -> b.addHeaders(Header.newBuilder().setName(name).setValue(value)));
        target.forward(traced.build(), new Responses(out, server, model), loop);
    }

    /** The path without its query (which may carry values that are not the trace's business). */
    private static String pathOf(String path) {
        int q = path.indexOf('?');
        String p = q < 0 ? path : path.substring(0, q);
        return p.startsWith("/") ? p : "/" + p;
    }

    @Override
    public void close() {
        target.close();
    }

    /** The call's answer to the gateway; ends both spans when it ends. */
    private static final class Responses extends ServerCallStreamObserver<ForwardResponse> {
        private final ServerCallStreamObserver<ForwardResponse> out;
        private final Span server;
        private final Span model;
        private final AtomicBoolean ended = new AtomicBoolean();

        Responses(ServerCallStreamObserver<ForwardResponse> out, Span server, Span model) {
            this.out = out;
            this.server = server;
            this.model = model;
        }

        private void end(StatusCode status, String description) {
            if (ended.compareAndSet(false, true)) {
                if (status == StatusCode.ERROR) {
                    model.setStatus(status, description);
                    server.setStatus(status, description);
                }
                model.end();
                server.end();
            }
        }

        private void head(ForwardResponse.Head head) {
            model.setAttribute("http.response.status_code", head.getStatus());
            if (head.getStatus() >= 500) {
                model.setStatus(StatusCode.ERROR);
            }
        }

        @Override
        public void onNext(ForwardResponse value) {
            switch (value.getPartCase()) {
                case HEAD -> head(value.getHead());
                case WHOLE -> head(value.getWhole().getHead());
                case FAILURE -> {
                    model.setAttribute("gatehouse.failure", value.getFailure().getCode().name());
                    end(StatusCode.ERROR, value.getFailure().getCode().name());
                }
                default -> {
                }
            }
            out.onNext(value);
        }

        @Override
        public void onError(Throwable t) {
            end(StatusCode.ERROR, io.grpc.Status.fromThrowable(t).getCode().name());
            out.onError(t);
        }

        @Override
        public void onCompleted() {
            end(StatusCode.UNSET, null);
            out.onCompleted();
        }

        @Override
        public boolean isCancelled() {
            return out.isCancelled();
        }

        @Override
        public void setOnCancelHandler(Runnable onCancelHandler) {
            out.setOnCancelHandler(() -> {
                end(StatusCode.ERROR, "cancelled by the gateway");
                onCancelHandler.run();
            });
        }

        @Override
        public void setCompression(String compression) {
            out.setCompression(compression);
        }

        @Override
        public boolean isReady() {
            return out.isReady();
        }

        @Override
        public void setOnReadyHandler(Runnable onReadyHandler) {
            out.setOnReadyHandler(onReadyHandler);
        }

        @Override
        public void request(int count) {
            out.request(count);
        }

        @Override
        public void setMessageCompression(boolean enable) {
            out.setMessageCompression(enable);
        }

        @Override
        @SuppressWarnings("deprecation")
        public void disableAutoInboundFlowControl() {
            out.disableAutoInboundFlowControl();
        }

        @Override
        public void disableAutoRequest() {
            out.disableAutoRequest();
        }

        @Override
        public void setOnCloseHandler(Runnable onCloseHandler) {
            out.setOnCloseHandler(onCloseHandler);
        }
    }

}
