package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The listener's timeouts and connection limit: safe defaults, keys in gateway.yaml, errors that name the field. */
class ListenerClientLimitsConfigTest {

    @TempDir
    Path temp;

    private ConfigDir gateway(String listenerKeys) {
        return new ConfigDir(temp).write("gateway.yaml", "listeners:\n  http:\n    port: 8080\n" + listenerKeys
                + "agents:\n  local:\n    address: 127.0.0.1:7443\n")
                .write("endpoints/openai.yaml", "id: openai\nlistener: http\npath: /v1\nprotocol: openai\n"
                        + "target:\n  agent: local\n  service: demo-model\n");
    }

    @Test
    void aListenerWithoutTheKeysGetsTheSafeDefaults() {
        ListenerConfig http = gateway("").load().orThrow().listeners().get("http");

        assertThat(http.headerReadTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(http.bodyReadTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(http.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(http.maxConnections()).isEqualTo(10_000);
        assertThat(http.refusalRecordsPerSecond()).isEqualTo(100);
        assertThat(http.eventLoops()).isZero();
        assertThat(http.resolvedEventLoops()).isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void eventLoopsIsReadAndOutOfRangeOrOnAGrpcListenerIsAnErrorNamingTheField() {
        ListenerConfig http = gateway("    eventLoops: 3\n").load().orThrow().listeners().get("http");
        assertThat(http.eventLoops()).isEqualTo(3);
        assertThat(http.resolvedEventLoops()).isEqualTo(3);

        assertThat(gateway("    eventLoops: -1\n").errors()).singleElement().asString()
                .contains("listener 'http'")
                .endsWith("field 'eventLoops': must be between 1 and 1024 (or 0 for one per CPU), got -1");
        assertThat(gateway("    eventLoops: 1025\n").errors()).singleElement().asString()
                .endsWith("field 'eventLoops': must be between 1 and 1024 (or 0 for one per CPU), got 1025");
        assertThat(gateway("    protocol: grpc\n    eventLoops: 2\n").errors()).anySatisfy(error -> assertThat(error)
                .asString().contains("listener 'http' field 'eventLoops': is only for a listener with protocol: http"));
    }

    @Test
    void refusalRecordsPerSecondIsReadAndZeroMeansSummariesOnly() {
        assertThat(gateway("    refusalRecordsPerSecond: 5\n").load().orThrow().listeners().get("http")
                .refusalRecordsPerSecond()).isEqualTo(5);
        assertThat(gateway("    refusalRecordsPerSecond: 0\n").load().orThrow().listeners().get("http")
                .refusalRecordsPerSecond()).isZero();
        assertThat(gateway("    refusalRecordsPerSecond: -1\n").errors()).singleElement().asString()
                .contains("listener 'http'")
                .endsWith("field 'refusalRecordsPerSecond': must be between 0 and 100000, got -1");
    }

    @Test
    void theKeysAreReadFromGatewayYaml() {
        ListenerConfig http = gateway("    headerReadTimeout: 2s\n    bodyReadTimeout: 30s\n    idleTimeout: 5m\n"
                + "    maxConnections: 500\n").load().orThrow().listeners().get("http");

        assertThat(http.headerReadTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(http.bodyReadTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(http.idleTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(http.maxConnections()).isEqualTo(500);
    }

    @Test
    void aTimeoutOutOfRangeAndAZeroConnectionLimitAreErrorsNamingTheirListener() {
        assertThat(gateway("    headerReadTimeout: 10ms\n").errors()).singleElement().asString()
                .startsWith("gateway.yaml:").contains("listener 'http'")
                .endsWith("field 'headerReadTimeout': must be between 100ms and 1h, got 10ms");
        assertThat(gateway("    maxConnections: 0\n").errors()).singleElement().asString()
                .contains("listener 'http'").endsWith("field 'maxConnections': must be between 1 and 1000000, got 0");
    }
}
