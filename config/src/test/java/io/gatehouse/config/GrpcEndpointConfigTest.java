package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GrpcEndpointConfigTest {

    private static final String GATEWAY = """
            listeners:
              http:
                port: 8080
              grpc:
                protocol: grpc
                port: 9090
                maxBodyBytes: 4MiB
            agents:
              local:
                address: 127.0.0.1:7443
            """;

    @TempDir
    Path temp;

    ConfigDir dir;

    @BeforeEach
    void gatewayWithAGrpcListener() {
        dir = new ConfigDir(temp).write("gateway.yaml", GATEWAY);
    }

    private static String grpcEndpoint(String id, String models, String extra) {
        return "id: " + id + "\nlistener: grpc\nmodels: " + models + "\n" + extra
                + "protocol: kserve-v2\ntarget:\n  agent: local\n  service: demo-grpc\n";
    }

    @Test
    void aGrpcEndpointIsChosenByItsModelsAndHasNoPath() {
        dir.write("endpoints/triton.yaml", grpcEndpoint("triton", "[demo-small, demo-*]", "serverCalls: true\n"));

        GatewayConfig config = dir.load().orThrow();

        assertThat(config.listeners().get("grpc").protocol()).isEqualTo(ListenerProtocol.GRPC);
        assertThat(config.listeners().get("grpc").maxBodyBytes().bytes()).isEqualTo(4L * 1024 * 1024);
        assertThat(config.listeners().get("http").protocol()).isEqualTo(ListenerProtocol.HTTP);
        EndpointConfig triton = config.endpoint("triton").orElseThrow();
        assertThat(triton.path()).isNull();
        assertThat(triton.models()).containsExactly("demo-small", "demo-*");
        assertThat(triton.serverCalls()).isTrue();
    }

    @Test
    void aGrpcEndpointWithAPathIsAnErrorSayingItIsChosenByModel() {
        dir.write("endpoints/triton.yaml", grpcEndpoint("triton", "[demo-small]", "path: /v2\n"));

        assertThat(dir.errors()).containsExactly("endpoints/triton.yaml:4:7: endpoint 'triton' field 'path': an"
                + " endpoint on gRPC listener 'grpc' is chosen by the model a call names, not by path: remove 'path'"
                + " and list its 'models'");
    }

    @Test
    void aGrpcEndpointMustSpeakKserveV2() {
        dir.write("endpoints/triton.yaml", "id: triton\nlistener: grpc\nmodels: [demo-small]\nprotocol: openai\n"
                + "target:\n  agent: local\n  service: demo-grpc\n");

        assertThat(dir.errors()).containsExactly("endpoints/triton.yaml:4:11: endpoint 'triton' field 'protocol': a"
                + " gRPC listener serves inference.GRPCInferenceService: use protocol kserve-v2, got 'openai'");
    }

    @Test
    void twoGrpcEndpointsServingOneModelOnOneListenerIsAnError() {
        dir.write("endpoints/a.yaml", grpcEndpoint("a", "[demo-small]", ""));
        dir.write("endpoints/b.yaml", grpcEndpoint("b", "[demo-large, demo-small]", ""));

        assertThat(dir.errors()).containsExactly("endpoints/b.yaml:3:9: endpoint 'b' field 'models': model"
                + " 'demo-small' is also served by endpoint 'a' (endpoints/a.yaml) on gRPC listener 'grpc'");
    }

    @Test
    void onlyOneGrpcEndpointPerListenerTakesServerCalls() {
        dir.write("endpoints/a.yaml", grpcEndpoint("a", "[demo-small]", "serverCalls: true\n"));
        dir.write("endpoints/b.yaml", grpcEndpoint("b", "[demo-large]", "serverCalls: true\n"));

        assertThat(dir.errors()).containsExactly("endpoints/b.yaml:4:14: endpoint 'b' field 'serverCalls': endpoint"
                + " 'a' (endpoints/a.yaml) already takes the server calls on gRPC listener 'grpc'");
    }

    @Test
    void aGrpcEndpointWithoutModelsIsAnErrorWithAnExample() {
        dir.write("endpoints/triton.yaml", "id: triton\nlistener: grpc\nprotocol: kserve-v2\n"
                + "target:\n  agent: local\n  service: demo-grpc\n");

        assertThat(dir.errors()).containsExactly("endpoints/triton.yaml:1:5: endpoint 'triton' field 'models': is"
                + " required for an endpoint on gRPC listener 'grpc' (the models whose calls it serves, e.g."
                + " [demo-small] or [demo-*]; or serverCalls: true)");
    }

    @Test
    void anHttpEndpointWithoutAPathIsAnError() {
        dir.write("endpoints/chat.yaml", "id: chat\nprotocol: openai\ntarget:\n  agent: local\n  service: demo-model\n");

        assertThat(dir.errors()).containsExactly("endpoints/chat.yaml:1:1: endpoint 'chat' field 'path': is required"
                + " (the path prefix this endpoint serves on HTTP listener 'http', e.g. /v1)");
    }

    @Test
    void anHttpEndpointNamingModelsIsAnError() {
        dir.write("endpoints/chat.yaml", "id: chat\npath: /v1\nmodels: [demo-small]\nprotocol: openai\n"
                + "target:\n  agent: local\n  service: demo-model\n");

        assertThat(dir.errors()).containsExactly("endpoints/chat.yaml:3:9: endpoint 'chat' field 'models': only"
                + " endpoints on a gRPC listener are chosen by model; this one is on HTTP listener 'http' and is"
                + " chosen by its path");
    }

    @Test
    void anUnknownListenerProtocolIsAnErrorListingTheKnownOnes() {
        dir.write("gateway.yaml", GATEWAY.replace("protocol: grpc", "protocol: http2"));

        assertThat(String.join("\n", dir.errors())).contains("gateway.yaml:5:15").contains("http2")
                .contains("grpc");
    }
}
