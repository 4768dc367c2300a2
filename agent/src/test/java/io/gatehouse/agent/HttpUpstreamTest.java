package io.gatehouse.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.spi.Secret;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's HTTP/1.1 client: kept-alive connections, what ends them, back-pressure and HTTPS. Each
 * test gets fresh model servers and a fresh agent, so connection counts start at zero.
 */
class HttpUpstreamTest {

    private static Path data;
    private static DevCertificates.CertificateFiles certificates;

    private CountingModel model;
    private CountingModel tlsModel;
    private CountingModel otherNameModel;
    private AgentServer agent;
    private AgentClient client;

    @BeforeAll
    static void certificates() throws Exception {
        data = Files.createTempDirectory("gatehouse-agent-http-test");
        certificates = DevCertificates.ensure(data);
    }

    @AfterAll
    static void removeCertificates() throws Exception {
        AgentFixture.deleteRecursively(data);
    }

    @BeforeEach
    void start() throws Exception {
        model = new CountingModel(null);
        // The model's certificate is the development agent certificate: SAN 127.0.0.1, signed by the dev CA.
        tlsModel = new CountingModel(SslContextBuilder.forServer(certificates.agentCertificate().toFile(),
                certificates.agentKey().toFile()).build());
        otherNameModel = new CountingModel(OtherNameCertificate.serverContext(certificates));
        CredentialConfig credential = new CredentialConfig(null, null, Secret.of("env:MODEL_KEY", AgentFixture.SECRET));
        Map<String, ServiceConfig> services = new LinkedHashMap<>();
        services.put("counted", new ServiceConfig(model.url(), credential, null, null));
        services.put("tls", new ServiceConfig(tlsModel.url(), credential, null, null, certificates.caCertificate()));
        services.put("tls-untrusted", new ServiceConfig(tlsModel.url(), credential, null, null));
        services.put("tls-by-name", new ServiceConfig(java.net.URI.create("https://localhost:" + tlsModel.url().getPort()),
                credential, null, null, certificates.caCertificate()));
        services.put("tls-other-name", new ServiceConfig(otherNameModel.url(), credential, null, null,
                certificates.caCertificate()));
        agent = AgentServer.start(new AgentSettings(new ListenConfig("127.0.0.1", 0), null, data, services));
        client = AgentClient.connect("127.0.0.1", agent.port(), ClientTls.dev(data));
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        agent.close();
        model.close();
        tlsModel.close();
        otherNameModel.close();
    }

    private Collected call(String service, String path) throws InterruptedException {
        Collected collected = new Collected();
        client.forward(ForwardRequest.newBuilder().setRequestId("req-" + System.nanoTime()).setService(service)
                .setMethod("GET").setPath(path).build(), Instant.now().plusSeconds(30), collected);
        return collected.await();
    }

    private static void assertOk(Collected collected) {
        assertThat(collected.error()).isNull();
        assertThat(collected.head().getStatus()).isEqualTo(200);
        assertThat(collected.body()).isEqualTo(CountingModel.OK_BODY);
        assertThat(collected.ended()).isTrue();
    }

    @Test
    void twoCallsInARowShareOneConnectionToTheModelServer() throws Exception {
        assertOk(call("counted", "/ok?n=1"));
        assertOk(call("counted", "/ok?n=2"));

        assertThat(model.accepted()).isEqualTo(1);
        assertThat(model.authorizations()).containsExactly("Bearer " + AgentFixture.SECRET, "Bearer " + AgentFixture.SECRET);
    }

    @Test
    void aConnectionTheModelServerClosedAfterItsAnswerIsNotUsedAgain() throws Exception {
        assertOk(call("counted", "/close"));
        assertOk(call("counted", "/ok"));

        assertThat(model.accepted()).isEqualTo(2);
    }

    @Test
    void anAnswerWithConnectionCloseIsPassedOnWithoutItAndItsConnectionIsNotKept() throws Exception {
        Collected first = call("counted", "/close-header");
        assertOk(first);
        assertThat(first.headerValue("Connection")).isNull();
        assertOk(call("counted", "/ok"));

        assertThat(model.accepted()).isEqualTo(2);
    }

    @Test
    void cancellingTheForwardMidStreamClosesTheConnectionToTheModelServer() throws Exception {
        Collected collected = new Collected();
        client.forward(ForwardRequest.newBuilder().setRequestId("req-cancel").setService("counted").setMethod("GET")
                .setPath("/endless?id=cancel").build(), null, collected);
        collected.awaitFirstChunk();

        collected.call().cancel("the client went away", null);

        assertThat(model.closed("cancel").await(10, TimeUnit.SECONDS)).as("the model's connection closed").isTrue();
        assertOk(call("counted", "/ok"));
        assertThat(model.accepted()).as("the cancelled exchange's connection was not reused").isEqualTo(2);
    }

    @Test
    void aGatewayThatTakesNoMoreMessagesStopsTheAgentReadingFromTheModelServer() throws Exception {
        CountDownLatch head = new CountDownLatch(1);
        ClientCallStreamObserver<?>[] call = new ClientCallStreamObserver<?>[1];
        client.stub().forward(ForwardRequest.newBuilder().setRequestId("req-slow").setService("counted").setMethod("GET")
                .setPath("/endless?id=slow").build(), new ClientResponseObserver<ForwardRequest, ForwardResponse>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<ForwardRequest> requestStream) {
                        call[0] = requestStream;
                        requestStream.disableAutoRequestWithInitial(1); // the Head, then nothing
                    }

                    @Override
                    public void onNext(ForwardResponse value) {
                        head.countDown();
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        assertThat(head.await(10, TimeUnit.SECONDS)).isTrue();

        long before = -1;
        long now = model.written("slow");
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (now != before && System.nanoTime() < giveUp) {
            Thread.sleep(500);
            before = now;
            now = model.written("slow");
        }

        assertThat(now).as("the model server stopped writing").isEqualTo(before);
        assertThat(now).as("bytes the model could write ahead of a gateway that took none")
                .isLessThan(64L * 1024 * 1024);
        call[0].cancel("done", null);
        assertThat(model.closed("slow").await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void anHttpsModelServerIsCalledOverTlsWithTheCredentialOnOneKeptConnection() throws Exception {
        assertOk(call("tls", "/ok?n=1"));
        assertOk(call("tls", "/ok?n=2"));

        assertThat(tlsModel.url().getScheme()).isEqualTo("https");
        assertThat(tlsModel.authorizations()).containsExactly("Bearer " + AgentFixture.SECRET, "Bearer " + AgentFixture.SECRET);
        assertThat(tlsModel.accepted()).isEqualTo(1);
    }

    @Test
    void anHttpsServiceNamedByAHostNameIsLookedUpAndItsCertificateMatchesThatName() throws Exception {
        assertOk(call("tls-by-name", "/ok"));

        assertThat(tlsModel.accepted()).isEqualTo(1);
    }

    @Test
    void anHttpsModelServerWhoseCertificateNoTrustedCaSignedIsAnUpstreamErrorAndGetsNoRequest() throws Exception {
        Collected collected = call("tls-untrusted", "/ok");

        assertThat(collected.error()).isNull();
        ForwardResponse.Failure failure = collected.failure();
        assertThat(failure.getCode()).isEqualTo(ForwardResponse.Failure.Code.UPSTREAM_ERROR);
        assertThat(failure.getMessage()).isEqualTo("request to service 'tls-untrusted' failed: the TLS handshake with the model server failed (SSLHandshakeException)");
        assertThat(tlsModel.authorizations()).isEmpty();
        assertThat(collected.everything()).doesNotContain(AgentFixture.SECRET);
    }

    @Test
    void anHttpsModelServerWhoseCertificateNamesAnotherHostIsRefusedThoughATrustedCaSignedIt() throws Exception {
        Collected collected = call("tls-other-name", "/ok");

        ForwardResponse.Failure failure = collected.failure();
        assertThat(failure.getCode()).isEqualTo(ForwardResponse.Failure.Code.UPSTREAM_ERROR);
        assertThat(failure.getMessage()).isEqualTo("request to service 'tls-other-name' failed: the TLS handshake with the model server failed (SSLHandshakeException)");
        assertThat(otherNameModel.authorizations()).isEmpty();
    }

    @Test
    void aCompressedBodyPassesThroughAsTheModelServerSentIt() throws Exception {
        Collected collected = call("counted", "/gzip");

        assertThat(collected.headerValue("Content-Encoding")).isEqualTo("gzip");
        assertThat(collected.bodyBytes()).isEqualTo(CountingModel.GZIP_BODY);
    }

    @Test
    void aSmallWholeAnswerComesBackAsOneMessageWithItsHeadAndBody() throws Exception {
        Collected collected = call("counted", "/ok");

        assertThat(collected.messages()).extracting(ForwardResponse::getPartCase)
                .containsExactly(ForwardResponse.PartCase.WHOLE);
        assertThat(collected.head().getStatus()).isEqualTo(200);
        assertThat(collected.head().getStreamed()).isFalse();
        assertThat(collected.body()).isEqualTo(CountingModel.OK_BODY);
    }
}
