package io.gatehouse.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.gatehouse.agent.proto.AgentGrpc;
import io.gatehouse.agent.proto.CallerIdentity;
import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.Header;
import io.gatehouse.agent.proto.HealthResponse;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentServerTest {

    private static AgentFixture fixture;
    private static LogCapture logs;

    @BeforeAll
    static void start() throws Exception {
        logs = new LogCapture();
        fixture = AgentFixture.start();
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
        logs.close();
    }

    private static ForwardRequest.Builder request(String service, String method, String path) {
        return ForwardRequest.newBuilder().setRequestId("req-" + System.nanoTime()).setService(service)
                .setMethod(method).setPath(path);
    }

    private static Header header(String name, String value) {
        return Header.newBuilder().setName(name).setValue(value).build();
    }

    private static Collected forward(ForwardRequest request) throws InterruptedException {
        Collected collected = new Collected();
        fixture.client.forward(request, Instant.now().plusSeconds(30), collected);
        return collected.await();
    }

    @Test
    void agentInjectsTheCredentialAndStripsTheCallersAuthorizationAndGatewayAndHopByHopHeaders() throws Exception {
        ForwardRequest request = request("echo", "POST", "/v1/echo?id=strip&stream=false")
                .addHeaders(header("Authorization", "Bearer callers-own-token"))
                .addHeaders(header("Gatehouse-Request-Id", "gw-1"))
                .addHeaders(header("gatehouse-identity", "alice"))
                .addHeaders(header("Connection", "keep-alive, X-Hop"))
                .addHeaders(header("X-Hop", "declared hop-by-hop"))
                .addHeaders(header("Keep-Alive", "timeout=5"))
                .addHeaders(header("Proxy-Authorization", "Basic cHJveHk6cHc="))
                .addHeaders(header("TE", "trailers"))
                .addHeaders(header("Trailer", "X-Checksum"))
                .addHeaders(header("Transfer-Encoding", "chunked"))
                .addHeaders(header("Upgrade", "h2c"))
                .addHeaders(header("Host", "evil.example"))
                .addHeaders(header("Content-Length", "999"))
                .addHeaders(header("Content-Type", "application/json"))
                .addHeaders(header("X-Custom", "one"))
                .addHeaders(header("X-Custom", "two"))
                .setBody(ByteString.copyFromUtf8("{\"model\":\"tiny\"}"))
                .build();

        Collected collected = forward(request);

        assertThat(collected.error()).isNull();
        TinyModel.Received received = fixture.model.receivedWithId("strip").get(0);
        assertThat(received.method()).isEqualTo("POST");
        assertThat(received.pathAndQuery()).isEqualTo("/v1/echo?id=strip&stream=false");
        assertThat(received.header("Authorization")).containsExactly("Bearer " + AgentFixture.SECRET);
        assertThat(received.headers().keySet()).noneMatch(n -> n.toLowerCase().startsWith("gatehouse-"));
        assertThat(received.headers()).doesNotContainKeys("X-Hop", "Keep-Alive", "Proxy-Authorization", "TE",
                "Trailer", "Transfer-Encoding", "Upgrade");
        assertThat(received.header("Connection")).doesNotContain("keep-alive, X-Hop");
        assertThat(received.header("Host")).containsExactly("127.0.0.1:" + fixture.model.url().getPort());
        assertThat(received.header("Content-Length")).containsExactly("16");
        assertThat(received.header("X-Custom")).containsExactly("one", "two");
        assertThat(received.header("Content-Type")).containsExactly("application/json");
        assertThat(new String(received.body(), StandardCharsets.UTF_8)).isEqualTo("{\"model\":\"tiny\"}");

        ForwardResponse.Head head = collected.head();
        assertThat(head.getStatus()).isEqualTo(200);
        assertThat(head.getStreamed()).isFalse();
        assertThat(collected.headerValue("X-Model")).isEqualTo("tiny");
        assertThat(collected.headerValue("Content-Type")).isEqualTo("application/json");
        assertThat(collected.headerValue("Keep-Alive")).as("hop-by-hop response header").isNull();
        assertThat(collected.body()).isEqualTo(TinyModel.ECHO_BODY);
        assertThat(collected.ended()).isTrue();
        assertThat(collected.everything()).doesNotContain(AgentFixture.SECRET);
    }

    @Test
    void aCredentialWithItsOwnHeaderAndNoSchemeReplacesTheCallersValueOfThatHeader() throws Exception {
        Collected collected = forward(request("raw", "GET", "/v1/echo?id=raw")
                .addHeaders(header("X-Api-Key", "callers-guess"))
                .addHeaders(header("Authorization", "Bearer callers-own-token"))
                .build());

        assertThat(collected.head().getStatus()).isEqualTo(200);
        TinyModel.Received received = fixture.model.receivedWithId("raw").get(0);
        assertThat(received.header("X-Api-Key")).containsExactly(AgentFixture.SECRET);
        assertThat(received.headers()).doesNotContainKey("Authorization");
        assertThat(received.body()).isEmpty();
    }

    @Test
    void aServiceWithoutCredentialSendsNoAuthorizationAtAll() throws Exception {
        Collected collected = forward(request("plain", "GET", "/v1/echo?id=plain")
                .addHeaders(header("Authorization", "Bearer callers-own-token")).build());

        assertThat(collected.head().getStatus()).isEqualTo(200);
        assertThat(fixture.model.receivedWithId("plain").get(0).headers()).doesNotContainKey("Authorization");
    }

    @Test
    void anSseAnswerArrivesChunkByChunkWhileTheModelIsStillWriting() throws Exception {
        Collected collected = forward(request("echo", "POST", "/v1/sse?id=sse1").build());

        assertThat(collected.error()).isNull();
        assertThat(collected.head().getStreamed()).isTrue();
        assertThat(collected.headerValue("Content-Type")).isEqualTo("text/event-stream");
        assertThat(collected.body()).isEqualTo(
                "data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: {\"n\":3}\n\ndata: {\"n\":4}\n\ndata: {\"n\":5}\n\n");
        List<Collected.Arrival> chunks = collected.chunks();
        assertThat(chunks).hasSizeGreaterThanOrEqualTo(3);
        Long finished = fixture.model.sseFinishedNanos("sse1");
        assertThat(finished).isNotNull();
        assertThat(chunks.get(0).nanos()).as("first chunk arrived before the model finished").isLessThan(finished);
        assertThat(collected.arrivals().get(0).message().hasHead()).isTrue();
    }

    @Test
    void anUnknownServiceFailsNamingItAndTheServicesTheAgentKnows() throws Exception {
        Collected collected = forward(request("nope", "GET", "/v1/echo").build());

        assertThat(collected.error()).isNull();
        assertThat(collected.messages()).hasSize(1);
        ForwardResponse.Failure failure = collected.failure();
        assertThat(failure.getCode()).isEqualTo(ForwardResponse.Failure.Code.UNKNOWN_SERVICE);
        assertThat(failure.getMessage()).isEqualTo("unknown service 'nope'; this agent serves [echo, raw, plain, down, slow]");
    }

    @Test
    void aModelServerThatIsDownIsReportedAsUnreachableWithoutTheCredential() throws Exception {
        Collected collected = forward(request("down", "POST", "/v1/echo").build());

        ForwardResponse.Failure failure = collected.failure();
        assertThat(failure.getCode()).isEqualTo(ForwardResponse.Failure.Code.UPSTREAM_UNREACHABLE);
        assertThat(failure.getMessage())
                .isEqualTo("service 'down' is unreachable at http://127.0.0.1:" + fixture.downPort + ": connection refused");
        assertThat(collected.everything()).doesNotContain(AgentFixture.SECRET);
    }

    @Test
    void aModelServerThatSendsNoHeadInTimeIsReportedAsTimedOut() throws Exception {
        Collected collected = forward(request("slow", "GET", "/v1/hang?id=hang").build());

        ForwardResponse.Failure failure = collected.failure();
        assertThat(failure.getCode()).isEqualTo(ForwardResponse.Failure.Code.UPSTREAM_TIMEOUT);
        assertThat(failure.getMessage()).isEqualTo("service 'slow' sent no response head within 300 ms");
    }

    @Test
    void theResponseTimeoutBoundsOnlyTheWaitForTheHeadNotALongerStream() throws Exception {
        Collected collected = forward(request("slow", "GET", "/v1/sse?id=slow-sse").build());

        assertThat(collected.error()).isNull();
        assertThat(collected.messages()).noneMatch(ForwardResponse::hasFailure);
        assertThat(collected.body()).endsWith("data: {\"n\":5}\n\n");
        assertThat(collected.ended()).isTrue();
    }

    @Test
    void aModelServerThatBreaksOffMidStreamEndsTheStreamWithAnUpstreamError() throws Exception {
        Collected collected = forward(request("echo", "GET", "/v1/broken?id=broken").build());

        assertThat(collected.head().getStatus()).isEqualTo(200);
        assertThat(collected.body()).isEqualTo("data: {\"n\":1}\n\n");
        ForwardResponse.Failure failure = collected.failure();
        assertThat(failure.getCode()).isEqualTo(ForwardResponse.Failure.Code.UPSTREAM_ERROR);
        assertThat(failure.getMessage()).isEqualTo("service 'echo' broke off the response: the model server closed the connection");
    }

    @Test
    void whenTheDeadlinePassesTheCallIsCancelledAndSoIsTheModelRequest() throws Exception {
        Collected collected = new Collected();
        fixture.client.forward(request("echo", "GET", "/v1/endless?id=deadline1").build(),
                Instant.now().plusMillis(700), collected);
        collected.await();

        assertThat(collected.statusCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(collected.chunks()).isNotEmpty();
        assertThat(fixture.model.disconnected("deadline1").await(20, TimeUnit.SECONDS))
                .as("the model server saw the request go away").isTrue();
    }

    @Test
    void theAgentHonoursTheDeadlineFieldEvenWithoutAGrpcDeadline() throws Exception {
        Collected collected = new Collected();
        AgentGrpc.newStub(channelOf(fixture.client)).forward(request("echo", "GET", "/v1/endless?id=deadline2")
                .setDeadlineUnixMillis(Instant.now().plusMillis(700).toEpochMilli()).build(), collected);
        collected.await();

        assertThat(collected.statusCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(Status.fromThrowable(collected.error()).getDescription()).matches("the deadline passed after \\d+ ms");
        assertThat(fixture.model.disconnected("deadline2").await(20, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void whenTheGatewayCancelsTheCallTheModelRequestIsCancelled() throws Exception {
        Collected collected = new Collected();
        fixture.client.forward(request("echo", "GET", "/v1/endless?id=cancel1").build(), null, collected);
        collected.awaitFirstChunk();

        collected.call().cancel("client went away", null);

        assertThat(fixture.model.disconnected("cancel1").await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(collected.await().statusCode()).isEqualTo(Status.Code.CANCELLED);
    }

    @Test
    void aPathThatLeavesTheServiceIsRefusedAsInvalid() throws Exception {
        Collected collected = forward(request("echo", "GET", "@evil.example/x").build());

        assertThat(collected.statusCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(Status.fromThrowable(collected.error()).getDescription()).isEqualTo("path must start with a single '/'");
    }

    @Test
    void healthListsTheServicesTheAgentKnows() throws Exception {
        HealthResponse health = fixture.client.health(Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);

        assertThat(health.getServicesList()).containsExactly("echo", "raw", "plain", "down", "slow");
    }

    /** Runs last, so its log check covers every call of this class. */
    @Test
    @Order(Integer.MAX_VALUE)
    void eachCallIsLoggedOnceAndNoLogLineHoldsTheCredentialAHeaderValueTheQueryOrTheBody() throws Exception {
        ForwardRequest request = request("echo", "POST", "/v1/echo?id=logged&token=query-secret")
                .setRequestId("req-logged")
                .addHeaders(header("Authorization", "Bearer callers-own-token"))
                .addHeaders(header("X-Custom", "header-value-secret"))
                .setIdentity(CallerIdentity.newBuilder().setSubject("alice").build())
                .setBody(ByteString.copyFromUtf8("body-secret"))
                .build();
        forward(request);
        forward(request("down", "GET", "/v1/echo").setRequestId("req-down").build());

        // The agent logs a call once it has ended on its side, which can be just after the caller saw the end.
        List<String> lines = logs.lines();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!(lines.stream().anyMatch(l -> l.contains("request_id=req-logged"))
                && lines.stream().anyMatch(l -> l.contains("request_id=req-down"))) && System.nanoTime() < deadline) {
            Thread.sleep(10);
            lines = logs.lines();
        }
        assertThat(lines.stream().filter(l -> l.contains("request_id=req-logged")))
                .singleElement().satisfies(l -> assertThat(l).matches(
                        "io.gatehouse.agent.AgentServer forward request_id=req-logged service=echo method=POST "
                                + "path=/v1/echo status=200 outcome=completed duration_ms=\\d+"));
        assertThat(lines.stream().filter(l -> l.contains("request_id=req-down")))
                .singleElement().satisfies(l -> assertThat(l).matches(
                        "io.gatehouse.agent.AgentServer forward request_id=req-down service=down method=GET "
                                + "path=/v1/echo status=- outcome=failure UPSTREAM_UNREACHABLE duration_ms=\\d+"));
        assertThat(lines).noneMatch(l -> l.contains(AgentFixture.SECRET) || l.contains("query-secret")
                || l.contains("header-value-secret") || l.contains("body-secret") || l.contains("callers-own-token"));
    }

    static io.grpc.Channel channelOf(AgentClient client) {
        return client.stub().getChannel();
    }
}
