package io.gatehouse.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.gatehouse.agent.proto.AgentGrpc;
import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.Header;
import io.gatehouse.kserve.grpc.InferParameter;
import io.gatehouse.kserve.grpc.InferTensorContents;
import io.gatehouse.kserve.grpc.ModelInferRequest;
import io.gatehouse.kserve.grpc.ModelInferResponse;
import io.gatehouse.kserve.grpc.ModelStreamInferResponse;
import io.gatehouse.samplemodel.GrpcCounters;
import io.gatehouse.samplemodel.SampleModelServer;
import io.gatehouse.samplemodel.SampleModelSettings;
import io.gatehouse.spi.Secret;
import io.grpc.Status;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The agent in front of the sample model's gRPC side ({@code inference.GRPCInferenceService}), over real mutual TLS. */
class GrpcForwardTest {

    static final String MODEL_INFER = "/inference.GRPCInferenceService/ModelInfer";
    static final String MODEL_STREAM_INFER = "/inference.GRPCInferenceService/ModelStreamInfer";

    private static Path data;
    private static SampleModelServer model;
    private static int downPort;
    private static AgentServer agent;
    private static AgentClient client;

    @BeforeAll
    static void start() throws Exception {
        data = Files.createTempDirectory("gatehouse-agent-grpc-test");
        model = SampleModelServer.start(SampleModelSettings.loopback(AgentFixture.SECRET));
        downPort = AgentFixture.freePort();
        Secret secret = Secret.of("env:MODEL_KEY", AgentFixture.SECRET);
        URI url = URI.create("grpc://127.0.0.1:" + model.grpcPort());
        Map<String, ServiceConfig> services = new LinkedHashMap<>();
        services.put("kserve", new ServiceConfig(url, new CredentialConfig(null, null, secret), null, null));
        services.put("kserve-down", new ServiceConfig(URI.create("grpc://127.0.0.1:" + downPort),
                new CredentialConfig(null, null, secret), null, null));
        services.put("kserve-slow", new ServiceConfig(url, new CredentialConfig(null, null, secret), null,
                Duration.ofMillis(300)));
        agent = AgentServer.start(new AgentSettings(new ListenConfig("127.0.0.1", 0), null, data, services));
        client = AgentClient.connect("127.0.0.1", agent.port(), ClientTls.dev(data));
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        agent.close();
        model.close();
        AgentFixture.deleteRecursively(data);
    }

    static ModelInferRequest.Builder infer(String modelName, String text) {
        return ModelInferRequest.newBuilder().setModelName(modelName).setId("id-" + text.length())
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("text").setDatatype("BYTES").addShape(1)
                        .setContents(InferTensorContents.newBuilder().addBytesContents(ByteString.copyFromUtf8(text))));
    }

    static ForwardRequest.Builder forward(String service, String path, ModelInferRequest message) {
        return ForwardRequest.newBuilder().setRequestId("req-" + System.nanoTime()).setService(service)
                .setMethod("POST").setPath(path).setBody(message.toByteString());
    }

    private static Header header(String name, String value) {
        return Header.newBuilder().setName(name).setValue(value).build();
    }

    private static Collected call(ForwardRequest request) throws InterruptedException {
        Collected collected = new Collected();
        client.forward(request, Instant.now().plusSeconds(30), collected);
        return collected.await();
    }

    private static InferParameter int64(long value) {
        return InferParameter.newBuilder().setInt64Param(value).build();
    }

    @Test
    void aUnaryCallIsForwardedAndTheModelGetsTheCredentialAsMetadataThatTheCallerNeverSent() throws Exception {
        Collected collected = call(forward("kserve", MODEL_INFER, infer("demo-small", "hello grpc").build())
                .addHeaders(header("Authorization", "Bearer callers-own-token"))
                .addHeaders(header("X-Custom", "one"))
                .addHeaders(header("Content-Type", "application/grpc"))
                .addHeaders(header("grpc-timeout", "1S"))
                .addHeaders(header("TE", "trailers"))
                .addHeaders(header("Gatehouse-Request-Id", "gw-1"))
                .build());

        assertThat(collected.error()).isNull();
        List<ForwardResponse> messages = collected.messages();
        assertThat(messages).extracting(ForwardResponse::getPartCase).containsExactly(
                ForwardResponse.PartCase.HEAD, ForwardResponse.PartCase.CHUNK, ForwardResponse.PartCase.END);
        assertThat(collected.head().getStatus()).isEqualTo(200);
        assertThat(collected.head().getStreamed()).isTrue();
        ModelInferResponse response = ModelInferResponse.parseFrom(messages.get(1).getChunk().getData());
        assertThat(response.getId()).isEqualTo("id-10");
        assertThat(response.getOutputs(0).getContents().getBytesContents(0).toStringUtf8()).isEqualTo("hello grpc");
        assertThat(response.getOutputs(1).getContents().getInt64ContentsList()).containsExactly(10L);

        GrpcCounters.CallMetadata seen = model.grpcCounters().lastCall().orElseThrow();
        assertThat(seen.method()).isEqualTo("ModelInfer");
        assertThat(seen.authorization()).isEqualTo("Bearer " + AgentFixture.SECRET);
        assertThat(seen.metadata()).containsEntry("x-custom", List.of("one"))
                .doesNotContainKey("gatehouse-request-id");
        assertThat(seen.metadata().get("authorization")).containsExactly("Bearer " + AgentFixture.SECRET);
        assertThat(collected.everything()).doesNotContain(AgentFixture.SECRET);
    }

    @Test
    void aStreamingCallArrivesAsSeveralChunksEachOneWholeModelStreamInferResponse() throws Exception {
        Collected collected = call(forward("kserve", MODEL_STREAM_INFER, infer("demo-large", "one two three").build())
                .build());

        assertThat(collected.error()).isNull();
        assertThat(collected.head().getStreamed()).isTrue();
        List<Collected.Arrival> chunks = collected.chunks();
        assertThat(chunks).hasSize(3);
        StringBuilder text = new StringBuilder();
        for (Collected.Arrival chunk : chunks) {
            ModelStreamInferResponse piece = ModelStreamInferResponse.parseFrom(chunk.message().getChunk().getData());
            assertThat(piece.getErrorMessage()).isEmpty();
            assertThat(piece.getInferResponse().getId()).isEqualTo("id-13");
            text.append(piece.getInferResponse().getOutputs(0).getContents().getBytesContents(0).toStringUtf8());
        }
        assertThat(text).hasToString("one two three");
        List<ForwardResponse> messages = collected.messages();
        assertThat(messages.get(messages.size() - 1).hasEnd()).isTrue();
    }

    @Test
    void anUnknownModelComesBackAsASingleFailureCarryingGrpcStatusNotFound() throws Exception {
        Collected collected = call(forward("kserve", MODEL_INFER, infer("gpt-9", "x").build()).build());

        assertThat(collected.error()).isNull();
        assertThat(collected.messages()).hasSize(1);
        ForwardResponse.Failure failure = collected.failure();
        assertThat(failure.getCode()).isEqualTo(ForwardResponse.Failure.Code.UPSTREAM_ERROR);
        assertThat(failure.getGrpcStatus()).isEqualTo(Status.Code.NOT_FOUND.value());
        assertThat(failure.getMessage()).isEqualTo("model 'gpt-9' is not served here; models: demo-small, demo-large");
    }

    @Test
    void whenTheDeadlineFieldPassesTheUpstreamCallEndsAsAnUpstreamTimeoutWithGrpcStatusDeadlineExceeded()
            throws Exception {
        long cancelledBefore = model.grpcCounters().cancelled("ModelInfer");
        Collected collected = new Collected();
        AgentGrpc.newStub(client.stub().getChannel()).forward(forward("kserve", MODEL_INFER,
                infer("demo-small", "slow").putParameters("delay_ms", int64(30_000)).build())
                .setDeadlineUnixMillis(Instant.now().plusMillis(500).toEpochMilli()).build(), collected);
        collected.await();

        assertThat(collected.error()).isNull();
        ForwardResponse.Failure failure = collected.failure();
        assertThat(failure.getCode()).isEqualTo(ForwardResponse.Failure.Code.UPSTREAM_TIMEOUT);
        assertThat(failure.getGrpcStatus()).isEqualTo(Status.Code.DEADLINE_EXCEEDED.value());
        awaitUntil(() -> model.grpcCounters().cancelled("ModelInfer") > cancelledBefore);
    }

    @Test
    void aStreamThatFailsAfterItsFirstPiecesEndsWithAFailureCarryingTheGrpcStatus() throws Exception {
        Collected collected = new Collected();
        AgentGrpc.newStub(client.stub().getChannel()).forward(forward("kserve", MODEL_STREAM_INFER,
                // A piece a second, a deadline at 2.5 s: the first piece has 1.5 s of margin on a busy machine,
                // and the eight of them (8 s) can never all arrive.
                infer("demo-small", "a b c d e f g h").putParameters("delay_ms", int64(1_000)).build())
                .setDeadlineUnixMillis(Instant.now().plusMillis(2_500).toEpochMilli()).build(), collected);
        collected.await();

        List<ForwardResponse> messages = collected.messages();
        assertThat(messages.get(0).hasHead()).isTrue();
        assertThat(collected.chunks()).isNotEmpty().hasSizeLessThan(8);
        ForwardResponse last = messages.get(messages.size() - 1);
        assertThat(last.hasFailure()).isTrue();
        assertThat(last.getFailure().getCode()).isEqualTo(ForwardResponse.Failure.Code.UPSTREAM_TIMEOUT);
        assertThat(last.getFailure().getGrpcStatus()).isEqualTo(Status.Code.DEADLINE_EXCEEDED.value());
    }

    @Test
    void cancellingTheForwardCallCancelsTheUpstreamCall() throws Exception {
        GrpcCounters counters = model.grpcCounters();
        long calls = counters.calls("ModelInfer");
        long cancelledBefore = counters.cancelled("ModelInfer");
        Collected collected = new Collected();
        client.forward(forward("kserve", MODEL_INFER, infer("demo-small", "wait").putParameters("delay_ms",
                int64(30_000)).build()).build(), null, collected);
        awaitUntil(() -> counters.calls("ModelInfer") > calls);

        collected.call().cancel("client went away", null);

        awaitUntil(() -> counters.cancelled("ModelInfer") > cancelledBefore);
        assertThat(collected.await().statusCode()).isEqualTo(Status.Code.CANCELLED);
    }

    @Test
    void aModelThatSendsNothingWithinTheResponseTimeoutIsReportedAsTimedOutAndItsCallCancelled() throws Exception {
        long cancelledBefore = model.grpcCounters().cancelled("ModelInfer");

        Collected collected = call(forward("kserve-slow", MODEL_INFER,
                infer("demo-small", "slow").putParameters("delay_ms", int64(30_000)).build()).build());

        ForwardResponse.Failure failure = collected.failure();
        assertThat(failure.getCode()).isEqualTo(ForwardResponse.Failure.Code.UPSTREAM_TIMEOUT);
        assertThat(failure.getGrpcStatus()).isEqualTo(Status.Code.DEADLINE_EXCEEDED.value());
        assertThat(failure.getMessage()).isEqualTo("service 'kserve-slow' sent no response within 300 ms");
        awaitUntil(() -> model.grpcCounters().cancelled("ModelInfer") > cancelledBefore);
    }

    @Test
    void aGrpcServerThatIsDownIsReportedAsUnreachableWithGrpcStatusUnavailable() throws Exception {
        Collected collected = call(forward("kserve-down", MODEL_INFER, infer("demo-small", "x").build()).build());

        ForwardResponse.Failure failure = collected.failure();
        assertThat(failure.getCode()).isEqualTo(ForwardResponse.Failure.Code.UPSTREAM_UNREACHABLE);
        assertThat(failure.getGrpcStatus()).isEqualTo(Status.Code.UNAVAILABLE.value());
        assertThat(failure.getMessage())
                .isEqualTo("service 'kserve-down' is unreachable at grpc://127.0.0.1:" + downPort + ": connection refused");
        assertThat(collected.everything()).doesNotContain(AgentFixture.SECRET);
    }

    @Test
    void aPathThatIsNotAGrpcMethodNameIsRefusedAsInvalid() throws Exception {
        Collected collected = call(forward("kserve", "/v2/models/demo-small/infer", infer("demo-small", "x").build())
                .build());

        assertThat(collected.statusCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(Status.fromThrowable(collected.error()).getDescription())
                .isEqualTo("path must be a gRPC method name, /package.Service/Method");
    }

    static void awaitUntil(BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("the condition held within 10 s").isLessThan(end);
            Thread.sleep(20);
        }
    }
}
