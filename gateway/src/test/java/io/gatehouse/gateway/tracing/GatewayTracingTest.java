package io.gatehouse.gateway.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.engine.TracingConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When the gateway builds an OpenTelemetry SDK at all. */
class GatewayTracingTest {

    private static final TracingConfig ON = new TracingConfig(true, null, null, null, null);

    @Test
    void withTracingOffNothingIsBuilt() {
        assertThat(GatewayTracing.open(TracingConfig.defaults(), name -> null)).isNull();
    }

    @Test
    void otelSdkDisabledTrueWinsOverTheFileAndFalseTurnsTracingOn() {
        assertThat(GatewayTracing.open(ON, Map.of("OTEL_SDK_DISABLED", "true")::get)).isNull();
        try (GatewayTracing tracing = GatewayTracing.open(TracingConfig.defaults(),
                Map.of("OTEL_SDK_DISABLED", "false")::get)) {
            assertThat(tracing).isNotNull();
            assertThat(tracing.fields()).contains("traceparent", "tracestate");
        }
    }

    @Test
    void withTracingOnTheGatewayTracesAndWritesItsOwnContextForTheAgent() {
        try (GatewayTracing tracing = GatewayTracing.open(ON, name -> null)) {
            io.gatehouse.spi.Headers headers = new io.gatehouse.spi.Headers()
                    .add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
            var trace = tracing.openHttp("r-1", "chat", "POST", "/v1", "/v1/chat/completions", headers,
                    io.gatehouse.spi.Operation.raw("openai"));
            Map<String, String> sent = new java.util.HashMap<>();
            trace.agentCall("local", "demo").inject(sent::put);

            assertThat(sent.get("traceparent")).startsWith("00-0af7651916cd43dd8448eb211c80319c-")
                    .doesNotContain("b7ad6b7169203331").endsWith("-01");
        }
    }
}
