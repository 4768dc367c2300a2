package io.gatehouse.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.agent.proto.AgentGrpc;
import io.gatehouse.agent.proto.ForwardRequest;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MutualTlsTest {

    private static AgentFixture fixture;
    private static Path otherCa;

    @BeforeAll
    static void start() throws Exception {
        fixture = AgentFixture.start();
        otherCa = Files.createTempDirectory("gatehouse-other-ca");
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
        AgentFixture.deleteRecursively(otherCa);
    }

    private static Collected forwardWith(ChannelCredentials credentials, String id) throws Exception {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", fixture.server.port(), credentials).build();
        try {
            Collected collected = new Collected();
            AgentGrpc.newStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS).forward(ForwardRequest.newBuilder()
                    .setService("echo").setMethod("GET").setPath("/v1/echo?id=" + id).build(), collected);
            return collected.await();
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void aGatewayWithTheCaSignedClientCertificateIsServed() throws Exception {
        DevCertificates.CertificateFiles dev = DevCertificates.locate(fixture.dataDirectory);
        Collected collected = forwardWith(TlsChannelCredentials.newBuilder()
                .keyManager(dev.gatewayCertificate().toFile(), dev.gatewayKey().toFile())
                .trustManager(dev.caCertificate().toFile()).build(), "mtls-ok");

        assertThat(collected.error()).isNull();
        assertThat(collected.head().getStatus()).isEqualTo(200);
        assertThat(fixture.model.receivedWithId("mtls-ok")).hasSize(1);
    }

    @Test
    void aClientWithoutACertificateCannotCompleteACall() throws Exception {
        DevCertificates.CertificateFiles dev = DevCertificates.locate(fixture.dataDirectory);
        Collected collected = forwardWith(TlsChannelCredentials.newBuilder()
                .trustManager(dev.caCertificate().toFile()).build(), "mtls-none");

        assertThat(collected.statusCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(collected.messages()).isEmpty();
        assertThat(fixture.model.receivedWithId("mtls-none")).isEmpty();
    }

    @Test
    void aClientWithACertificateFromAnotherCaCannotCompleteACall() throws Exception {
        DevCertificates.CertificateFiles foreign = DevCertificates.ensure(otherCa);
        DevCertificates.CertificateFiles dev = DevCertificates.locate(fixture.dataDirectory);
        Collected collected = forwardWith(TlsChannelCredentials.newBuilder()
                .keyManager(foreign.gatewayCertificate().toFile(), foreign.gatewayKey().toFile())
                .trustManager(dev.caCertificate().toFile()).build(), "mtls-foreign");

        assertThat(collected.statusCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(collected.messages()).isEmpty();
        assertThat(fixture.model.receivedWithId("mtls-foreign")).isEmpty();
    }

    @Test
    void theGatewayClientRefusesAnAgentWhoseCertificateItsCaDidNotSign() throws Exception {
        DevCertificates.CertificateFiles foreign = DevCertificates.ensure(otherCa);
        try (AgentClient client = AgentClient.connect("127.0.0.1", fixture.server.port(),
                new ClientTls(foreign.gatewayCertificate(), foreign.gatewayKey(), foreign.caCertificate()))) {
            Throwable error = client.health(Duration.ofSeconds(20)).handle((ok, e) -> e).get(30, TimeUnit.SECONDS);

            assertThat(Status.fromThrowable(error).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        }
    }
}
