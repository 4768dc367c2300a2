package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP/2 limits of a gRPC listener: defaults, keys, and errors that name the file, line and field. */
class Http2LimitsTest {

    @TempDir
    Path temp;

    @Test
    void aGrpcListenerWithoutHttp2KeysGetsSafeDefaults() {
        Http2Limits limits = new ListenerConfig("127.0.0.1", 9090, ListenerConfig.DEFAULT_MAX_BODY_BYTES,
                ListenerConfig.DEFAULT_MAX_HEADER_BYTES, ListenerProtocol.GRPC).http2();

        assertThat(limits).isEqualTo(new Http2Limits(100, 200, Duration.ofSeconds(10), Duration.ofMinutes(5),
                Duration.ofMinutes(5)));
    }

    @Test
    void theKeysAreReadFromGatewayYaml() {
        ConfigDir dir = new ConfigDir(temp);
        dir.write("gateway.yaml", """
                listeners:
                  http: {port: 8080}
                  grpc:
                    protocol: grpc
                    port: 9090
                    http2: {maxConcurrentStreams: 16, maxResetStreams: 40, resetWindow: 5s, permitKeepAliveTime: 30s, maxConnectionIdle: 1m}
                agents:
                  local: {address: 127.0.0.1:7443}
                """);
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));

        assertThat(dir.load().orThrow().listeners().get("grpc").http2()).isEqualTo(new Http2Limits(16, 40,
                Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMinutes(1)));
    }

    @Test
    void outOfRangeValuesAndHttp2OnAnHttpListenerAreErrorsNamingTheField() {
        ConfigDir dir = new ConfigDir(temp);
        dir.write("gateway.yaml", """
                listeners:
                  http:
                    port: 8080
                    http2: {maxConcurrentStreams: 10}
                  grpc:
                    protocol: grpc
                    port: 9090
                    http2: {maxConcurrentStreams: 0}
                  other:
                    protocol: grpc
                    port: 9091
                    http2: {resetWindow: 1500ms}
                agents:
                  local: {address: 127.0.0.1:7443}
                """);
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));

        assertThat(dir.errors()).containsExactly(
                "gateway.yaml:4:12: listener 'http' field 'http2': is only for a listener with protocol: grpc "
                        + "(this one speaks HTTP/1.1)",
                "gateway.yaml:8:35: listener 'grpc' field 'http2.maxConcurrentStreams': must be between 1 and 100000, got 0",
                "gateway.yaml:12:26: listener 'other' field 'http2.resetWindow': must be whole seconds from 1s to 1h, "
                        + "got PT1.5S");
    }
}
