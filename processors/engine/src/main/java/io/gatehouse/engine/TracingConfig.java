package io.gatehouse.engine;

import io.gatehouse.spi.ConfigException;
import java.net.URI;
import java.util.Locale;

/**
 * {@code tracing:} in {@code gateway.yaml} and in {@code agent.yaml}: OpenTelemetry traces exported over OTLP
 * (docs/tracing.md). Off by default. The standard {@code OTEL_*} environment variables override these values.
 * One record for both files: it lives here because the config module and the agent both see the engine and
 * neither may see the other.
 *
 * @param enabled       true builds the OpenTelemetry SDK and traces every exchange; default false.
 *                      {@code OTEL_SDK_DISABLED=true} turns it off whatever this says, {@code =false} turns it on
 * @param endpoint      the OTLP/HTTP collector's base URL ({@code /v1/traces} is appended), default
 *                      {@code http://localhost:4318}; {@code OTEL_EXPORTER_OTLP_ENDPOINT} wins
 * @param protocol      {@value #HTTP_PROTOBUF}, the only one bundled
 * @param samplingRatio share of new traces recorded, 0 to 1, default 1; requests with a {@code traceparent}
 *                      follow their caller's decision; {@code OTEL_TRACES_SAMPLER(_ARG)} win
 * @param serviceName   {@code service.name}, default {@code gatehouse-gateway}; {@code OTEL_SERVICE_NAME} wins
 */
public record TracingConfig(Boolean enabled, URI endpoint, String protocol, Double samplingRatio, String serviceName) {

    public static final String HTTP_PROTOBUF = "http/protobuf";
    public static final URI DEFAULT_ENDPOINT = URI.create("http://localhost:4318");

    public TracingConfig {
        enabled = enabled != null && enabled;
        endpoint = endpoint == null ? DEFAULT_ENDPOINT : endpoint;
        String scheme = endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || endpoint.getHost() == null) {
            throw new ConfigException("endpoint", "value '" + endpoint + "' (expected: an http or https URL such as "
                    + DEFAULT_ENDPOINT + ")");
        }
        protocol = protocol == null ? HTTP_PROTOBUF : protocol;
        if (!protocol.equals(HTTP_PROTOBUF)) {
            throw new ConfigException("protocol", "value '" + protocol + "' (expected: " + HTTP_PROTOBUF
                    + "; OTLP over gRPC is not bundled)");
        }
        samplingRatio = samplingRatio == null ? 1.0 : samplingRatio;
        if (!(samplingRatio >= 0.0 && samplingRatio <= 1.0)) {
            throw new ConfigException("samplingRatio", "value " + samplingRatio + " (expected: between 0 and 1)");
        }
        if (serviceName != null && serviceName.isBlank()) {
            throw new ConfigException("serviceName", "must not be blank");
        }
    }

    /** Off, every other key at its default. */
    public static TracingConfig defaults() {
        return new TracingConfig(null, null, null, null, null);
    }
}
