package io.gatehouse.samplemodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.gatehouse.kserve.grpc.GRPCInferenceServiceGrpc;
import io.gatehouse.kserve.grpc.InferParameter;
import io.gatehouse.kserve.grpc.InferTensorContents;
import io.gatehouse.kserve.grpc.ModelInferRequest;
import io.gatehouse.kserve.grpc.ModelInferResponse;
import io.gatehouse.kserve.grpc.ModelMetadataRequest;
import io.gatehouse.kserve.grpc.ModelMetadataResponse;
import io.gatehouse.kserve.grpc.ModelReadyRequest;
import io.gatehouse.kserve.grpc.ModelStreamInferResponse;
import io.gatehouse.kserve.grpc.RepositoryIndexRequest;
import io.gatehouse.kserve.grpc.RepositoryIndexResponse;
import io.gatehouse.kserve.grpc.RepositoryModelLoadRequest;
import io.gatehouse.kserve.grpc.RepositoryModelUnloadRequest;
import io.gatehouse.kserve.grpc.ServerLiveRequest;
import io.gatehouse.kserve.grpc.ServerMetadataRequest;
import io.gatehouse.kserve.grpc.ServerMetadataResponse;
import io.gatehouse.kserve.grpc.ServerReadyRequest;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SampleModelGrpcTest {

    private static SampleModelServer server;
    private static ManagedChannel channel;
    private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub blocking;
    private static GRPCInferenceServiceGrpc.GRPCInferenceServiceStub async;

    @BeforeAll
    static void start() throws Exception {
        server = SampleModelServer.start(SampleModelSettings.loopback(TestClient.KEY));
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
        blocking = withKey(GRPCInferenceServiceGrpc.newBlockingStub(channel), "Bearer " + TestClient.KEY);
        async = withKey(GRPCInferenceServiceGrpc.newStub(channel), "Bearer " + TestClient.KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    private static <S extends io.grpc.stub.AbstractStub<S>> S withKey(S stub, String authorization) {
        Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
    }

    private static ModelInferRequest.Builder typed(String model, String... texts) {
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        for (String t : texts) {
            contents.addBytesContents(ByteString.copyFromUtf8(t));
        }
        return ModelInferRequest.newBuilder().setModelName(model).setId("req-1")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("text").setDatatype("BYTES")
                        .addShape(1).addShape(texts.length).setContents(contents));
    }

    private static ByteString raw(String... texts) {
        ByteBuffer out = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        for (String t : texts) {
            byte[] b = t.getBytes(StandardCharsets.UTF_8);
            out.putInt(b.length).put(b);
        }
        return ByteString.copyFrom(out.flip());
    }

    private static ModelInferRequest.InferRequestedOutputTensor output(String name) {
        return ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(name).build();
    }

    private static InferParameter int64(long value) {
        return InferParameter.newBuilder().setInt64Param(value).build();
    }

    @Test
    void modelInferEchoesTypedBytesWithTheirLengthsAnEmbeddingAndTheRequestId() {
        ModelInferResponse response = blocking.modelInfer(typed("demo-small", "hello", "wörld").build());

        assertThat(response.getModelName()).isEqualTo("demo-small");
        assertThat(response.getModelVersion()).isEqualTo("1");
        assertThat(response.getId()).isEqualTo("req-1");
        assertThat(response.getRawOutputContentsList()).isEmpty();
        assertThat(response.getOutputsList()).extracting(ModelInferResponse.InferOutputTensor::getName)
                .containsExactly("echo", "length", "embedding");
        ModelInferResponse.InferOutputTensor echo = response.getOutputs(0);
        assertThat(echo.getDatatype()).isEqualTo("BYTES");
        assertThat(echo.getShapeList()).containsExactly(1L, 2L);
        assertThat(echo.getContents().getBytesContentsList()).extracting(ByteString::toStringUtf8)
                .containsExactly("hello", "wörld");
        ModelInferResponse.InferOutputTensor length = response.getOutputs(1);
        assertThat(length.getDatatype()).isEqualTo("INT64");
        assertThat(length.getShapeList()).containsExactly(1L, 2L);
        assertThat(length.getContents().getInt64ContentsList()).containsExactly(5L, 6L);
        ModelInferResponse.InferOutputTensor embedding = response.getOutputs(2);
        assertThat(embedding.getDatatype()).isEqualTo("FP32");
        assertThat(embedding.getShapeList()).containsExactly(1L, 4L);
        assertThat(embedding.getContents().getFp32ContentsList()).hasSize(4).allSatisfy(v -> assertThat(v).isBetween(-1f, 1f));
        assertThat(blocking.modelInfer(typed("demo-small", "hello", "wörld").build()).getOutputs(2))
                .as("the same input gives the same embedding").isEqualTo(embedding);
        assertThat(blocking.modelInfer(typed("demo-small", "other").build()).getOutputs(2).getContents())
                .isNotEqualTo(embedding.getContents());
    }

    @Test
    void modelInferAnswersRawInputsWithRawOutputsInTheOrderOfTheRequestedOutputs() {
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("demo-large").setId("raw-7")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("n").setDatatype("INT64").addShape(1))
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("text").setDatatype("BYTES").addShape(3))
                .addRawInputContents(ByteString.copyFrom(new byte[8]))
                .addRawInputContents(raw("a", "", "xyz"))
                .addOutputs(output("length"))
                .addOutputs(output("echo"))
                .build();

        ModelInferResponse response = blocking.modelInfer(request);

        assertThat(response.getId()).isEqualTo("raw-7");
        assertThat(response.getOutputsList()).extracting(ModelInferResponse.InferOutputTensor::getName)
                .containsExactly("length", "echo");
        assertThat(response.getOutputsList()).allSatisfy(o -> assertThat(o.hasContents()).isFalse());
        assertThat(response.getRawOutputContentsList()).hasSize(2);
        ByteBuffer lengths = response.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        assertThat(List.of(lengths.getLong(), lengths.getLong(), lengths.getLong())).containsExactly(1L, 0L, 3L);
        assertThat(response.getRawOutputContents(1)).isEqualTo(raw("a", "", "xyz"));
    }

    @Test
    void modelInferReturnsOnlyTheRequestedOutputsAndRefusesAnUnknownOne() {
        ModelInferResponse response = blocking.modelInfer(typed("demo-small", "hi").addOutputs(output("embedding")).build());

        assertThat(response.getOutputsList()).singleElement()
                .satisfies(o -> assertThat(o.getName()).isEqualTo("embedding"));
        assertThatThrownBy(() -> blocking.modelInfer(typed("demo-small", "hi").addOutputs(output("logits")).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription())
                            .isEqualTo("unknown output 'logits'; the model's outputs are echo, length, embedding");
                });
    }

    @Test
    void anUnknownModelIsNotFoundNamingTheModelsServed() {
        assertThatThrownBy(() -> blocking.modelInfer(typed("gpt-9", "hi").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription())
                            .isEqualTo("model 'gpt-9' is not served here; models: demo-small, demo-large");
                });
        assertThatThrownBy(() -> blocking.modelReady(ModelReadyRequest.newBuilder().setName("gpt-9").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void modelStreamInferSendsOnePiecePerWordForEachRequestAndCompletesAfterTheClientHalfCloses() throws Exception {
        StreamRecorder recorder = new StreamRecorder();
        StreamObserver<ModelInferRequest> requests = async.modelStreamInfer(recorder);
        requests.onNext(typed("demo-small", "one two  three").setId("a")
                .putParameters("delay_ms", int64(5)).build());
        requests.onNext(typed("gpt-9", "x").setId("b").build());
        requests.onNext(ModelInferRequest.newBuilder().setModelName("demo-large").setId("c")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("t").setDatatype("BYTES").addShape(1))
                .addRawInputContents(raw("raw words")).build());
        requests.onCompleted();

        assertThat(recorder.done.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(recorder.error).isNull();
        List<ModelStreamInferResponse> responses = recorder.responses;
        assertThat(responses).extracting(r -> r.getInferResponse().getId())
                .containsExactly("a", "a", "a", "b", "c", "c");
        assertThat(responses.subList(0, 3)).extracting(r -> r.getInferResponse().getOutputs(0).getContents()
                .getBytesContents(0).toStringUtf8()).containsExactly("one", " two", "  three");
        assertThat(responses.subList(0, 3)).extracting(r -> r.getInferResponse().getParametersMap()
                .get("triton_final_response").getBoolParam()).containsExactly(false, false, true);
        ModelInferResponse.InferOutputTensor piece = responses.get(0).getInferResponse().getOutputs(0);
        assertThat(piece.getName()).isEqualTo("text_output");
        assertThat(piece.getDatatype()).isEqualTo("BYTES");
        assertThat(piece.getShapeList()).containsExactly(1L);
        assertThat(responses.get(3).getErrorMessage())
                .isEqualTo("model 'gpt-9' is not served here; models: demo-small, demo-large");
        assertThat(responses.subList(4, 6)).extracting(r -> r.getInferResponse().getRawOutputContents(0))
                .containsExactly(raw("raw"), raw(" words"));
        assertThat(responses.subList(0, 3)).allSatisfy(r -> assertThat(r.getErrorMessage()).isEmpty());
    }

    @Test
    void unloadingAModelMakesItUnavailableUntilItIsLoadedAgain() {
        try {
            blocking.repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder().setModelName("demo-large").build());

            assertThat(blocking.repositoryIndex(RepositoryIndexRequest.getDefaultInstance()).getModelsList())
                    .extracting(RepositoryIndexResponse.ModelIndex::getName, RepositoryIndexResponse.ModelIndex::getState)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("demo-small", "READY"),
                            org.assertj.core.groups.Tuple.tuple("demo-large", "UNAVAILABLE"));
            assertThat(blocking.repositoryIndex(RepositoryIndexRequest.newBuilder().setReady(true).build())
                    .getModelsList()).extracting(RepositoryIndexResponse.ModelIndex::getName).containsExactly("demo-small");
            assertThat(blocking.modelReady(ModelReadyRequest.newBuilder().setName("demo-large").build()).getReady()).isFalse();
            assertThatThrownBy(() -> blocking.modelInfer(typed("demo-large", "hi").build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));

            blocking.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("demo-large").build());

            assertThat(blocking.modelReady(ModelReadyRequest.newBuilder().setName("demo-large").build()).getReady()).isTrue();
            assertThat(blocking.modelInfer(typed("demo-large", "hi").build()).getOutputsCount()).isEqualTo(3);
        } finally {
            blocking.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("demo-large").build());
        }
        assertThatThrownBy(() -> blocking.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder()
                .setModelName("gpt-9").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void theServerIsLiveAndReadyAndDescribesItselfAndItsModels() {
        assertThat(blocking.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
        assertThat(blocking.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
        ServerMetadataResponse metadata = blocking.serverMetadata(ServerMetadataRequest.getDefaultInstance());
        assertThat(metadata.getName()).isEqualTo("gatehouse-sample-model");
        assertThat(metadata.getVersion()).isNotBlank();
        assertThat(metadata.getExtensionsList()).contains("model_repository");
        ModelMetadataResponse model = blocking.modelMetadata(ModelMetadataRequest.newBuilder().setName("demo-small").build());
        assertThat(model.getVersionsList()).containsExactly("1");
        assertThat(model.getInputsList()).extracting(ModelMetadataResponse.TensorMetadata::getDatatype).containsExactly("BYTES");
        assertThat(model.getOutputsList()).extracting(ModelMetadataResponse.TensorMetadata::getName)
                .containsExactly("echo", "length", "embedding", "text_output");
    }

    @Test
    void aDelayedInferenceThatTheClientCancelsIsCountedAsCancelled() throws Exception {
        GrpcCounters counters = server.grpcCounters();
        long before = counters.cancelled("ModelInfer");
        long calls = counters.calls("ModelInfer");
        Context.CancellableContext context = Context.current().withCancellation();
        StreamRecorder recorder = new StreamRecorder();
        context.run(() -> async.modelInfer(typed("demo-small", "slow").putParameters("delay_ms", int64(30_000)).build(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(ModelInferResponse value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        recorder.onError(t);
                    }

                    @Override
                    public void onCompleted() {
                        recorder.onCompleted();
                    }
                }));
        awaitUntil(() -> counters.calls("ModelInfer") > calls);

        context.cancel(null);

        assertThat(recorder.done.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(Status.fromThrowable(recorder.error).getCode()).isEqualTo(Status.Code.CANCELLED);
        awaitUntil(() -> counters.cancelled("ModelInfer") == before + 1);
    }

    @Test
    void aCallWithoutTheKeyOrWithAWrongOneIsUnauthenticatedAndTheMetadataIsRecorded() throws Exception {
        GrpcCounters counters = server.grpcCounters();
        long refused = counters.unauthenticatedCalls();
        GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub noKey = GRPCInferenceServiceGrpc.newBlockingStub(channel);
        GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub wrongKey = withKey(noKey, "Bearer nope");

        assertThatThrownBy(() -> noKey.serverLive(ServerLiveRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription())
                            .isEqualTo("no API key: send it as 'authorization: Bearer KEY' metadata");
                });
        assertThat(counters.lastCall()).hasValueSatisfying(c -> assertThat(c.hasAuthorization()).isFalse());
        assertThatThrownBy(() -> wrongKey.modelInfer(typed("demo-small", "x").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).isEqualTo("incorrect API key provided");
                });
        assertThat(counters.lastCall()).hasValueSatisfying(c -> {
            assertThat(c.method()).isEqualTo("ModelInfer");
            assertThat(c.authorization()).isEqualTo("Bearer nope");
            assertThat(c.metadata()).containsEntry("authorization", List.of("Bearer nope"));
        });
        assertThat(counters.unauthenticatedCalls()).isEqualTo(refused + 2);
        assertThat(withKey(noKey, "bearer " + TestClient.KEY).serverLive(ServerLiveRequest.getDefaultInstance()).getLive())
                .as("the scheme in any case, as on the HTTP side").isTrue();
    }

    @Test
    void theHttpSideServesTheGrpcCountersAsJsonToHoldersOfTheKey() throws Exception {
        blocking.serverReady(ServerReadyRequest.getDefaultInstance());
        TestClient client = new TestClient(server);

        HttpResponse<String> response = client.get("/debug/grpc");
        HttpResponse<String> withoutKey = client.get("/debug/grpc", "Authorization", "");

        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Object> json = TestClient.json(response.body());
        assertThat(json).containsKeys("calls", "callsTotal", "cancelled", "cancelledTotal", "unauthenticated", "lastCall",
                "models");
        @SuppressWarnings("unchecked")
        Map<String, Object> calls = (Map<String, Object>) json.get("calls");
        assertThat(calls).containsKeys("ServerLive", "ModelInfer", "ModelStreamInfer", "RepositoryModelUnload");
        assertThat(((Number) calls.get("ServerReady")).longValue()).isPositive();
        @SuppressWarnings("unchecked")
        Map<String, Object> last = (Map<String, Object>) json.get("lastCall");
        assertThat(last).containsEntry("method", "ServerReady").containsEntry("authorization", "Bearer " + TestClient.KEY);
        assertThat(json.get("models")).isEqualTo(Map.of("demo-small", "READY", "demo-large", "READY"));
        assertThat(withoutKey.statusCode()).isEqualTo(401);
    }

    private static void awaitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("the condition held within 10 s").isLessThan(end);
            Thread.sleep(20);
        }
    }

    private static final class StreamRecorder implements StreamObserver<ModelStreamInferResponse> {

        final List<ModelStreamInferResponse> responses = new ArrayList<>();
        final CountDownLatch done = new CountDownLatch(1);
        volatile Throwable error;

        @Override
        public synchronized void onNext(ModelStreamInferResponse value) {
            responses.add(value);
        }

        @Override
        public void onError(Throwable t) {
            error = t;
            done.countDown();
        }

        @Override
        public void onCompleted() {
            done.countDown();
        }
    }
}
