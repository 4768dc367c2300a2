package io.gatehouse.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.agent.tracing.Tracing;
import io.gatehouse.engine.TracingConfig;
import io.gatehouse.spi.ConfigException;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** agent.yaml's {@code tracing:} block and when the agent builds an SDK. */
class AgentTracingSettingsTest {

    @Test
    void withoutTheBlockTheAgentTracesNothingAndBuildsNothing() {
        TracingConfig defaults = new AgentSettings(null, null, null,
                Map.of("m", new ServiceConfig(URI.create("http://127.0.0.1:1"), null, null, null))).tracing();

        assertThat(defaults).isEqualTo(new TracingConfig(false, URI.create("http://localhost:4318"), "http/protobuf",
                1.0, null));
        assertThat(Tracing.open(defaults, "gatehouse-agent", name -> null)).isNull();
    }

    @Test
    void otelSdkDisabledDecidesOverTheFile() {
        TracingConfig on = new TracingConfig(true, null, null, null, null);

        assertThat(Tracing.enabled(on, Map.of("OTEL_SDK_DISABLED", "true")::get)).isFalse();
        assertThat(Tracing.enabled(TracingConfig.defaults(), Map.of("OTEL_SDK_DISABLED", "false")::get)).isTrue();
        assertThat(Tracing.enabled(on, name -> null)).isTrue();
    }

    @Test
    void theGrpcProtocolANonHttpEndpointAndARatioOutsideZeroToOneAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> new TracingConfig(true, null, "grpc", null, null))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.field()).isEqualTo("protocol"));
        assertThatThrownBy(() -> new TracingConfig(true, URI.create("ftp://collector"), null, null, null))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.field()).isEqualTo("endpoint"));
        assertThatThrownBy(() -> new TracingConfig(true, null, null, -0.1, null))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.field()).isEqualTo("samplingRatio"));
    }
}
