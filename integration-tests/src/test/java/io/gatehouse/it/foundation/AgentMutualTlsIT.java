package io.gatehouse.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.agent.DevCertificates;
import io.gatehouse.agent.proto.AgentGrpc;
import io.gatehouse.agent.proto.HealthRequest;
import io.gatehouse.agent.proto.HealthResponse;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Only the gateway talks to the agent: the agent the running gateway uses refuses a TLS client without
 * the gateway's client certificate, and one whose certificate another CA signed.
 */
class AgentMutualTlsIT {

    private static Stack stack;
    private static Path otherCa;

    @BeforeAll
    static void start() throws Exception {
        stack = Stack.start();
        otherCa = Files.createTempDirectory("gatehouse-it-other-ca-");
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
        Stack.deleteRecursively(otherCa);
    }

    private static Status.Code healthWith(ChannelCredentials credentials) {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", stack.agent.port(), credentials).build();
        try {
            HealthResponse health = AgentGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
                    .health(HealthRequest.getDefaultInstance());
            assertThat(health.getServicesList()).contains(Stack.SERVICE);
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void theGatewaysClientCertificateIsServed() throws Exception {
        DevCertificates.CertificateFiles dev = DevCertificates.locate(stack.data);

        Status.Code code = healthWith(TlsChannelCredentials.newBuilder()
                .keyManager(dev.gatewayCertificate().toFile(), dev.gatewayKey().toFile())
                .trustManager(dev.caCertificate().toFile()).build());

        assertThat(code).isEqualTo(Status.Code.OK);
        // And the gateway itself reaches the agent with it.
        assertThat(Http.get(stack.uri("/v1/models"), stack.token()).statusCode()).isEqualTo(200);
    }

    @Test
    void aTlsClientThatTrustsTheDevCaButHasNoClientCertificateIsRefused() throws Exception {
        DevCertificates.CertificateFiles dev = DevCertificates.locate(stack.data);

        Status.Code code = healthWith(TlsChannelCredentials.newBuilder()
                .trustManager(dev.caCertificate().toFile()).build());

        assertThat(code).isEqualTo(Status.Code.UNAVAILABLE);
    }

    @Test
    void aClientCertificateFromAnotherCaIsRefused() throws Exception {
        DevCertificates.CertificateFiles foreign = DevCertificates.ensure(otherCa);
        DevCertificates.CertificateFiles dev = DevCertificates.locate(stack.data);
        assertThat(Files.readString(foreign.caCertificate())).isNotEqualTo(Files.readString(dev.caCertificate()));

        Status.Code code = healthWith(TlsChannelCredentials.newBuilder()
                .keyManager(foreign.gatewayCertificate().toFile(), foreign.gatewayKey().toFile())
                .trustManager(dev.caCertificate().toFile()).build());

        assertThat(code).isEqualTo(Status.Code.UNAVAILABLE);
    }
}
