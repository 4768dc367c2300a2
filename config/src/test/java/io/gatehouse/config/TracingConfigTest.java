package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.engine.TracingConfig;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tracing:} in gateway.yaml. */
class TracingConfigTest {

    @TempDir
    Path temp;

    private ConfigDir dir(String extra) {
        ConfigDir dir = new ConfigDir(temp);
        dir.write("gateway.yaml", ConfigDir.GATEWAY + "dataDirectory: " + temp.resolve("data") + "\n" + extra);
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));
        return dir;
    }

    @Test
    void withoutTheSectionTracingIsOffWithTheDefaults() {
        TracingConfig tracing = dir("").load().orThrow().tracing();

        assertThat(tracing).isEqualTo(new TracingConfig(false, URI.create("http://localhost:4318"), "http/protobuf",
                1.0, null));
    }

    @Test
    void everyTracingKeyIsRead() {
        TracingConfig tracing = dir("""
                tracing: {enabled: true, endpoint: "http://collector:4318", protocol: http/protobuf, samplingRatio: 0.25, serviceName: gw-eu}
                """).load().orThrow().tracing();

        assertThat(tracing).isEqualTo(new TracingConfig(true, URI.create("http://collector:4318"), "http/protobuf",
                0.25, "gw-eu"));
    }

    @Test
    void aRatioAboveOneAndTheGrpcProtocolAreErrorsNamingTheirKeys() {
        assertThat(dir("tracing: {samplingRatio: 1.5}\n").errors()).singleElement().asString()
                .contains("field 'tracing.samplingRatio'").contains("value 1.5 (expected: between 0 and 1)");
        assertThat(dir("tracing: {protocol: grpc}\n").errors()).singleElement().asString()
                .contains("field 'tracing.protocol'").contains("expected: http/protobuf");
    }

    @Test
    void anUnknownTracingKeyIsAnError() {
        assertThat(dir("tracing: {headers: {x: y}}\n").errors()).singleElement().asString()
                .contains("unknown key 'headers'");
    }
}
