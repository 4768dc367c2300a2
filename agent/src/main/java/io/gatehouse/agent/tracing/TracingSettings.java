package io.gatehouse.agent.tracing;

import io.gatehouse.spi.ConfigException;
import java.net.URI;
import java.util.Locale;

/**
 * The {@code tracing:} block of {@code agent.yaml} (the gateway's {@code gateway.yaml} has the same keys):
 * OpenTelemetry traces exported over OTLP. Off by default. The standard {@code OTEL_*} environment variables
 * (and {@code otel.*} system properties) override these values; see docs/tracing.md.
 *
 * @param enabled       true builds the OpenTelemetry SDK and traces every exchange; default false (nothing is
 *                      built, nothing is traced). {@code OTEL_SDK_DISABLED=true} turns it off whatever this says,
 *                      {@code OTEL_SDK_DISABLED=false} turns it on.
 * @param endpoint      the OTLP/HTTP collector's base URL ({@code /v1/traces} is appended); default
 *                      {@code http://localhost:4318}. {@code OTEL_EXPORTER_OTLP_ENDPOINT} wins.
 * @param protocol      the OTLP transport; only {@value #HTTP_PROTOBUF} (the exporter uses the JDK's HTTP client)
 * @param samplingRatio share of new traces recorded, 0 to 1, default 1; a request that arrives with a
 *                      {@code traceparent} follows its caller's sampling decision (parent-based). {@code
 *                      OTEL_TRACES_SAMPLER} / {@code OTEL_TRACES_SAMPLER_ARG} win.
 * @param serviceName   {@code service.name} of the spans; default {@code gatehouse-gateway} or {@code gatehouse-agent}.
 *                      {@code OTEL_SERVICE_NAME} wins.
 */
public record TracingSettings(Boolean enabled, URI endpoint, String protocol, Double samplingRatio, String serviceName) {

    public static final String HTTP_PROTOBUF = "http/protobuf";
    public static final URI DEFAULT_ENDPOINT = URI.create("http://localhost:4318");

    public TracingSettings {
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

    /** Tracing off, every other key at its default. */
    public static TracingSettings defaults() {
        return new TracingSettings(null, null, null, null, null);
    }
}
