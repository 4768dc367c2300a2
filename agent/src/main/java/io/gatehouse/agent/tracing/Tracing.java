package io.gatehouse.agent.tracing;

import io.gatehouse.engine.TracingConfig;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's OpenTelemetry SDK, built only when tracing is on; shared code of the gateway and the agent.
 *
 * <p>Built by the SDK's autoconfigure module so every standard {@code OTEL_*} variable works as documented
 * upstream. The config file's values are its defaults (a properties supplier, which autoconfigure ranks
 * below environment variables and system properties): the environment wins. Metrics and logs exporters are
 * forced off: Gatehouse's metrics are Prometheus on the admin port, its logs are logback.
 *
 * <p>Spans go through autoconfigure's {@code BatchSpanProcessor}: ending a span only puts it in a bounded
 * queue (dropped when full), and a background thread exports, so no event loop waits for the collector.
 */
public final class Tracing implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Tracing.class);
    private static final String SCOPE = "io.gatehouse";
    /**
     * Longest attribute value kept (longer ones are cut): some values come from callers (the model name, the
     * path), and a span must not carry a megabyte because a request did. {@code OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT}
     * overrides it.
     */
    public static final int DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT = 256;

    private final OpenTelemetrySdk sdk;
    private final Tracer tracer;
    private final TextMapPropagator propagator;

    private Tracing(OpenTelemetrySdk sdk) {
        this.sdk = sdk;
        this.tracer = sdk.getTracer(SCOPE);
        this.propagator = sdk.getPropagators().getTextMapPropagator();
    }

    /**
     * True when tracing is on: the file says {@code enabled: true} or {@code OTEL_SDK_DISABLED=false} is set,
     * and {@code OTEL_SDK_DISABLED} is not {@code true}.
     */
    public static boolean enabled(TracingConfig settings, Function<String, String> env) {
        String disabled = env.apply("OTEL_SDK_DISABLED");
        if (disabled == null) {
            disabled = System.getProperty("otel.sdk.disabled");
        }
        if (disabled != null && !disabled.isBlank()) {
            return !Boolean.parseBoolean(disabled.trim());
        }
        return settings.enabled();
    }

    /**
     * Builds the SDK, or returns null when tracing is off (then nothing is built and nothing is traced).
     *
     * @param defaultServiceName {@code service.name} when neither the file nor {@code OTEL_SERVICE_NAME} gives one
     */
    public static Tracing open(TracingConfig settings, String defaultServiceName, Function<String, String> env) {
        if (!enabled(settings, env)) {
            return null;
        }
        Map<String, String> defaults = new HashMap<>();
        defaults.put("otel.traces.exporter", "otlp");
        defaults.put("otel.exporter.otlp.protocol", settings.protocol());
        defaults.put("otel.exporter.otlp.endpoint", settings.endpoint().toString());
        defaults.put("otel.traces.sampler", "parentbased_traceidratio");
        defaults.put("otel.traces.sampler.arg", Double.toString(settings.samplingRatio()));
        defaults.put("otel.attribute.value.length.limit", Integer.toString(DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT));
        defaults.put("otel.service.name", settings.serviceName() != null ? settings.serviceName() : defaultServiceName);
        OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> defaults)
                // Whatever the environment says: only traces leave through OpenTelemetry, and the SDK is on
                // (the enabled decision above already read OTEL_SDK_DISABLED).
                .addPropertiesCustomizer(config -> Map.of("otel.metrics.exporter", "none", "otel.logs.exporter", "none",
                        "otel.sdk.disabled", "false"))
                .disableShutdownHook()
                .build()
                .getOpenTelemetrySdk();
        LOG.info("tracing on: OTLP {} to {} (environment overrides apply), service {}", settings.protocol(),
                env.apply("OTEL_EXPORTER_OTLP_ENDPOINT") != null ? "$OTEL_EXPORTER_OTLP_ENDPOINT"
                        : settings.endpoint().getScheme() + "://" + settings.endpoint().getHost()
                        + (settings.endpoint().getPort() < 0 ? "" : ":" + settings.endpoint().getPort()),
                env.apply("OTEL_SERVICE_NAME") != null ? env.apply("OTEL_SERVICE_NAME") : defaults.get("otel.service.name"));
        return new Tracing(sdk);
    }

    public Tracer tracer() {
        return tracer;
    }

    /** The configured propagators ({@code OTEL_PROPAGATORS}; W3C {@code traceparent}/{@code tracestate} and baggage by default). */
    public TextMapPropagator propagator() {
        return propagator;
    }

    /** Exports what is queued (up to 5 s), then stops the exporter thread. */
    @Override
    public void close() {
        sdk.shutdown().join(5, TimeUnit.SECONDS);
    }
}
