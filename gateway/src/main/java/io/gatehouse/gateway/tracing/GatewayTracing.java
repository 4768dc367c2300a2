package io.gatehouse.gateway.tracing;

import io.gatehouse.agent.tracing.Tracing;
import io.gatehouse.engine.ExchangeTrace;
import io.gatehouse.engine.TracingConfig;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Operation;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The gateway's traces (docs/tracing.md): opens one {@link ExchangeTrace} per exchange. Exists only when
 * tracing is on; when it is off the gateway holds null instead, and exchanges carry no trace.
 */
public final class GatewayTracing implements AutoCloseable {

    public static final String DEFAULT_SERVICE_NAME = "gatehouse-gateway";

    private final Tracing tracing;
    private final Set<String> fields;

    GatewayTracing(Tracing tracing) {
        this.tracing = tracing;
        Set<String> names = new TreeSet<>();
        tracing.propagator().fields().forEach(f -> names.add(f.toLowerCase(Locale.ROOT)));
        this.fields = Set.copyOf(names);
    }

    /**
     * Builds the OpenTelemetry SDK when tracing is on ({@code tracing.enabled}, or {@code OTEL_SDK_DISABLED=false});
     * null when it is off: then nothing is built.
     */
    public static GatewayTracing open(TracingConfig config, Function<String, String> env) {
        Tracing tracing = Tracing.open(config, DEFAULT_SERVICE_NAME, env);
        return tracing == null ? null : new GatewayTracing(tracing);
    }

    /**
     * The trace of an exchange arriving on an HTTP endpoint listener, continued from the caller's
     * {@code traceparent}/{@code tracestate} when it sent them.
     *
     * @param route the endpoint's path prefix ({@code http.route}: low cardinality, unlike the path)
     */
    public ExchangeTrace openHttp(String requestId, String endpointId, String method, String route, String path,
                                  Headers headers, Operation operation) {
        return OtelExchangeTrace.open(this, requestId, endpointId, method + " " + route, headers, operation, span -> span
                .setAttribute("http.request.method", method)
                .setAttribute("http.route", route)
                .setAttribute("url.path", path));
    }

    /** The trace of a gRPC call ({@code /package.Service/Method}), continued from its metadata. */
    public ExchangeTrace openGrpc(String requestId, String endpointId, String rpcPath, Headers metadata,
                                  Operation operation) {
        String name = rpcPath.startsWith("/") ? rpcPath.substring(1) : rpcPath;
        int slash = name.indexOf('/');
        return OtelExchangeTrace.open(this, requestId, endpointId, name, metadata, operation, span -> span
                .setAttribute("rpc.system", "grpc")
                .setAttribute("rpc.service", slash < 0 ? name : name.substring(0, slash))
                .setAttribute("rpc.method", slash < 0 ? "" : name.substring(slash + 1)));
    }

    Tracing tracing() {
        return tracing;
    }

    /** Lower-case names of the headers the propagators read and write. */
    Set<String> fields() {
        return fields;
    }

    /** Exports the spans still queued (up to 5 s) and stops the exporter. */
    @Override
    public void close() {
        tracing.close();
    }
}
