package io.gatehouse.it.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.gatehouse.kserve.grpc.GRPCInferenceServiceGrpc;
import io.gatehouse.kserve.grpc.InferParameter;
import io.gatehouse.kserve.grpc.InferTensorContents;
import io.gatehouse.kserve.grpc.ModelInferRequest;
import io.gatehouse.kserve.grpc.ModelInferResponse;
import io.gatehouse.kserve.grpc.ModelStatisticsRequest;
import io.gatehouse.kserve.grpc.ModelStreamInferResponse;
import io.gatehouse.kserve.grpc.RepositoryIndexRequest;
import io.gatehouse.kserve.grpc.RepositoryIndexResponse;
import io.gatehouse.kserve.grpc.RepositoryModelLoadRequest;
import io.gatehouse.kserve.grpc.ServerLiveRequest;
import io.grpc.CallCredentials;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Triton / KServe gRPC clients through gateway → agent → sample model, with a grpc-java client generated
 * from the same proto. alice is an analyst (demo-small, batch ≤ 8, outputs echo and length), lena and
 * leo are ml-leads (model loads held for another ml-lead), ada is an auditor.
 */
class GrpcInferenceIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Metadata.Key<String> AUTHORIZATION = key("authorization");

    private static GrpcStack stack;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        stack = GrpcStack.start("64KiB");
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", stack.grpcPort(), InsecureChannelCredentials.create())
                .build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void anAnalystsModelInferIsAnsweredWithTheEchoButWithoutTheEmbeddingHerPolicyHides() {
        ModelInferResponse answer = as(stack.token("alice", "analysts")).modelInfer(infer("demo-small", 2,
                "hello", "world"));

        assertThat(answer.getOutputsList()).extracting(ModelInferResponse.InferOutputTensor::getName)
                .containsExactly("echo", "length");
        assertThat(answer.getOutputs(0).getContents().getBytesContentsList())
                .containsExactly(ByteString.copyFromUtf8("hello"), ByteString.copyFromUtf8("world"));
        assertThat(answer.getOutputs(1).getContents().getInt64ContentsList()).containsExactly(5L, 5L);
        assertThat(answer.getId()).isEqualTo("req-1");
    }

    @Test
    void anEmailTheModelEchoesInABytesOutputReachesAnAnalystMaskedAndAPiiReaderInClear() throws Exception {
        ModelInferRequest request = infer("demo-small", 1, "mail me at alice.smith@example.com");

        java.util.concurrent.atomic.AtomicReference<Metadata> headers = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<Metadata> trailers = new java.util.concurrent.atomic.AtomicReference<>();
        ModelInferResponse analyst = as(stack.token("alice", "analysts"))
                .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers)).modelInfer(request);
        ModelInferResponse reader = as(stack.token("petra", "ml-engineers", "pii-readers")).modelInfer(request);

        assertThat(analyst.getOutputs(0).getContents().getBytesContents(0).toStringUtf8())
                .isEqualTo("mail me at [EMAIL]");
        assertThat(headers.get().get(key("gatehouse-masked"))).isEqualTo("1");
        assertThat(headers.get().get(key("gatehouse-request-id"))).matches("[0-9a-f-]{36}");
        String metrics = HTTP.send(HttpRequest.newBuilder(stack.adminUri("/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).containsPattern("gatehouse_masked_values_total\\{detector=\"email\",endpoint=\"kserve-grpc\"\\}"
                + " [1-9]");
        assertThat(reader.getOutputsList()).extracting(ModelInferResponse.InferOutputTensor::getName)
                .containsExactly("echo", "length", "embedding");
        assertThat(reader.getOutputs(0).getContents().getBytesContents(0).toStringUtf8())
                .isEqualTo("mail me at alice.smith@example.com");
    }

    @Test
    void theModelGetsTheAgentsCredentialAndNeverTheCallersToken() {
        String token = stack.token("alice", "analysts");
        as(token).modelInfer(infer("demo-small", 1, "x"));

        var last = stack.model().grpcCounters().lastCall().orElseThrow();
        assertThat(last.hasAuthorization()).isTrue();
        assertThat(last.authorization()).doesNotContain(token).startsWith("Bearer sk-it-");
    }

    @Test
    void aBatchAboveTheAnalystsLimitIsPermissionDeniedNamingPolicyAndRule() {
        StatusRuntimeException denied = catchThrowableOfType(() -> as(stack.token("alice", "analysts"))
                .modelInfer(infer("demo-small", 16, texts(16))), StatusRuntimeException.class);

        assertThat(denied.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(denied.getStatus().getDescription()).contains("batch 16 > 8")
                .endsWith("(policy analysts, rule infer-small)");
        assertThat(denied.getTrailers().get(key("gatehouse-policy"))).isEqualTo("analysts");
        assertThat(denied.getTrailers().get(key("gatehouse-rule"))).isEqualTo("infer-small");
        assertThat(denied.getTrailers().get(key("gatehouse-request-id"))).isNotBlank();
    }

    @Test
    void aCallWithoutATokenIsUnauthenticatedAModelNoEndpointServesIsNotFoundAndNoModelIsInvalid() {
        StatusRuntimeException anonymous = catchThrowableOfType(() -> GRPCInferenceServiceGrpc.newBlockingStub(channel)
                .modelInfer(infer("demo-small", 1, "x")), StatusRuntimeException.class);
        StatusRuntimeException unknown = catchThrowableOfType(() -> as(stack.token("alice", "analysts"))
                .modelInfer(infer("gpt-9", 1, "x")), StatusRuntimeException.class);

        assertThat(anonymous.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        StatusRuntimeException noModel = catchThrowableOfType(() -> as(stack.token("alice", "analysts"))
                .modelInfer(infer("", 1, "x")), StatusRuntimeException.class);
        assertThat(noModel.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(noModel.getStatus().getDescription()).isEqualTo("Malformed request: ModelInfer names no model;"
                + " set its model name (policy gateway, rule malformed-message)");
        assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(unknown.getStatus().getDescription()).isEqualTo("Not found: no endpoint on this listener serves"
                + " model 'gpt-9' (policy gateway, rule unknown-model)");
    }

    @Test
    void aTritonMethodTheGatewayDoesNotServeIsUnimplementedAndRecorded() throws Exception {
        StatusRuntimeException unserved = catchThrowableOfType(() -> as(stack.token("alice", "analysts"))
                .modelStatistics(ModelStatisticsRequest.getDefaultInstance()), StatusRuntimeException.class);

        assertThat(unserved.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
        assertThat(unserved.getStatus().getDescription()).isEqualTo("Not implemented: the gateway does not serve"
                + " ModelStatistics (policy gateway, rule unserved-method)");
        String requestId = unserved.getTrailers().get(key("gatehouse-request-id"));
        JsonNode record = sessions("/" + requestId, stack.token("ada", "auditors"));
        assertThat(record.toString()).contains("/inference.GRPCInferenceService/ModelStatistics")
                .contains("\"decision\":\"denied\"").contains("unserved-method");
    }

    @Test
    void serverCallsReachTheModelAndTheRepositoryIndexListsOnlyTheModelsTheCallerMayUse() {
        var stub = as(stack.token("alice", "analysts"));

        assertThat(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
        assertThat(stub.repositoryIndex(RepositoryIndexRequest.getDefaultInstance()).getModelsList())
                .extracting(RepositoryIndexResponse.ModelIndex::getName).containsExactly("demo-small");
    }

    @Test
    void aModelLoadIsDeniedWithoutARuleAndHeldForAnotherMlLeadWithOne() throws Exception {
        RepositoryModelLoadRequest load = RepositoryModelLoadRequest.newBuilder().setModelName("demo-large").build();
        StatusRuntimeException analyst = catchThrowableOfType(() -> as(stack.token("alice", "analysts"))
                .repositoryModelLoad(load), StatusRuntimeException.class);
        assertThat(analyst.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);

        String lena = stack.tokenWithOtp("lena", "ml-leads");
        StatusRuntimeException held = catchThrowableOfType(() -> as(lena).repositoryModelLoad(load),
                StatusRuntimeException.class);
        assertThat(held.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        String id = held.getTrailers().get(key("gatehouse-approval-id"));
        assertThat(id).isNotBlank();
        assertThat(held.getStatus().getDescription()).contains("gatehouse-approval: " + id);
        long loadsBefore = stack.model().grpcCounters().calls("RepositoryModelLoad");

        HttpResponse<String> approved = HTTP.send(HttpRequest.newBuilder(stack.adminUri("/admin/approvals/" + id
                        + "/approve")).header("Authorization", "Bearer " + stack.tokenWithOtp("leo", "ml-leads"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"reason\":\"planned\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);

        Metadata approval = new Metadata();
        approval.put(key("gatehouse-approval"), id);
        as(lena).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(approval)).repositoryModelLoad(load);
        assertThat(stack.model().grpcCounters().calls("RepositoryModelLoad")).isEqualTo(loadsBefore + 1);

        StatusRuntimeException twice = catchThrowableOfType(() -> as(lena)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(approval)).repositoryModelLoad(load),
                StatusRuntimeException.class);
        assertThat(twice.getStatus().getCode()).isNotEqualTo(Status.Code.OK);
        assertThat(stack.model().grpcCounters().calls("RepositoryModelLoad")).isEqualTo(loadsBefore + 1);
    }

    @Test
    void aStreamedAnswerReachesTheClientMessageByMessageWithTheEmailInItsBytesMasked() throws Exception {
        List<ModelStreamInferResponse> answers = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Status> end = new CompletableFuture<>();
        StreamObserver<ModelInferRequest> requests = GRPCInferenceServiceGrpc.newStub(channel)
                .withCallCredentials(bearer(stack.token("alice", "analysts")))
                .modelStreamInfer(new StreamObserver<>() {
                    @Override
                    public void onNext(ModelStreamInferResponse value) {
                        answers.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        end.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        end.complete(Status.OK);
                    }
                });
        requests.onNext(infer("demo-small", 1, "write to alice.smith@example.com today"));
        requests.onNext(infer("demo-small", 1, "and bob.jones@example.org tomorrow"));
        requests.onCompleted();

        assertThat(end.get(20, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
        assertThat(answers).hasSizeGreaterThan(2);
        StringBuilder said = new StringBuilder();
        for (ModelStreamInferResponse answer : answers) {
            assertThat(answer.getErrorMessage()).isEmpty();
            for (ModelInferResponse.InferOutputTensor output : answer.getInferResponse().getOutputsList()) {
                output.getContents().getBytesContentsList().forEach(b -> said.append(b.toStringUtf8()));
            }
            answer.getInferResponse().getRawOutputContentsList().forEach(b -> said.append(b.toStringUtf8()));
        }
        assertThat(said.toString()).doesNotContain("alice.smith@example.com").doesNotContain("bob.jones@example.org")
                .contains("[EMAIL]").contains("write to").contains("tomorrow");
    }

    @Test
    void theClientsDeadlineReachesTheModelWhoseCallIsCancelledWithIt() throws Exception {
        long cancelledBefore = stack.model().grpcCounters().cancelled();
        ModelInferRequest slow = infer("demo-small", 1, "slow").toBuilder()
                .putParameters("delay_ms", InferParameter.newBuilder().setInt64Param(5_000).build()).build();

        StatusRuntimeException late = catchThrowableOfType(() -> as(stack.token("alice", "analysts"))
                .withDeadlineAfter(300, TimeUnit.MILLISECONDS).modelInfer(slow), StatusRuntimeException.class);

        assertThat(late.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        awaitCancelledAbove(cancelledBefore);
    }

    @Test
    void aClientThatCancelsMidCallCancelsTheModelsCall() throws Exception {
        long cancelledBefore = stack.model().grpcCounters().cancelled();
        ModelInferRequest slow = infer("demo-small", 1, "slow").toBuilder()
                .putParameters("delay_ms", InferParameter.newBuilder().setInt64Param(5_000).build()).build();
        Context.CancellableContext context = Context.current().withCancellation();
        CompletableFuture<Status> end = new CompletableFuture<>();
        context.run(() -> GRPCInferenceServiceGrpc.newStub(channel)
                .withCallCredentials(bearer(stack.token("alice", "analysts")))
                .modelInfer(slow, new StreamObserver<>() {
                    @Override
                    public void onNext(ModelInferResponse value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        end.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        end.complete(Status.OK);
                    }
                }));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (stack.model().grpcCounters().calls("ModelInfer") == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(200); // the model is now waiting out its delay
        context.cancel(null);

        assertThat(end.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);
        awaitCancelledAbove(cancelledBefore);
    }

    @Test
    void aMessageOverTheListenersLimitIsResourceExhaustedBeforeItReachesThePipeline() {
        String big = "x".repeat(100 * 1024);

        StatusRuntimeException tooBig = catchThrowableOfType(() -> as(stack.token("alice", "analysts"))
                .modelInfer(infer("demo-small", 1, big)), StatusRuntimeException.class);

        assertThat(tooBig.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    }

    @Test
    void metadataOverTheListenersAdvertisedLimitIsNeverSentAndNeverReachesTheModel() {
        long before = stack.model().grpcCounters().calls("ModelInfer");
        Metadata big = new Metadata();
        big.put(key("x-padding"), "p".repeat(40 * 1024));

        StatusRuntimeException refused = catchThrowableOfType(() -> as(stack.token("alice", "analysts"))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(big))
                .modelInfer(infer("demo-small", 1, "x")), StatusRuntimeException.class);

        // The listener advertises its limit (HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE): grpc-java refuses to send.
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(refused.getStatus().getCause()).hasMessage("Header size exceeded max allowed size (32768)");
        assertThat(stack.model().grpcCounters().calls("ModelInfer")).isEqualTo(before);
    }

    @Test
    void everyCallIsRecordedAllowedAndDeniedAlikeAsTheJsonOfTheRestProtocol() throws Exception {
        String alice = stack.token("alice", "analysts");
        as(alice).modelInfer(infer("demo-small", 1, "recorded"));
        catchThrowableOfType(() -> as(alice).modelInfer(infer("demo-small", 9, texts(9))),
                StatusRuntimeException.class);

        String ada = stack.token("ada", "auditors");
        JsonNode allowed = sessions("?endpoint=kserve-grpc&user=alice&decision=allowed&since=1h", ada);
        JsonNode denied = sessions("?endpoint=kserve-grpc&user=alice&decision=denied&since=1h", ada);
        assertThat(allowed.path("sessions")).isNotEmpty();
        assertThat(denied.path("sessions")).isNotEmpty();

        String id = allowed.path("sessions").get(0).path("recordId").asText();
        HttpResponse<String> shown = HTTP.send(HttpRequest.newBuilder(stack.adminUri("/admin/sessions/" + id))
                .header("Authorization", "Bearer " + ada).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(shown.body()).contains("/inference.GRPCInferenceService/ModelInfer").contains("\"infer\"");
    }

    /**
     * The admin API's session listing (or one record, for {@code /<id>}), polled until it lists something or
     * the record has its end (records are written after the answer).
     */
    private static JsonNode sessions(String query, String token) throws Exception {
        JsonNode listing;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        do {
            HttpResponse<String> listed = HTTP.send(HttpRequest.newBuilder(stack.adminUri("/admin/sessions" + query))
                    .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(listed.statusCode()).as(listed.body()).isEqualTo(200);
            listing = JSON.readTree(listed.body());
            if (!listing.path("sessions").isEmpty() || listing.has("endTime")) {
                return listing;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return listing;
    }

    // ---- helpers ----

    private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub as(String token) {
        return GRPCInferenceServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(token))
                .withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    private static CallCredentials bearer(String token) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, java.util.concurrent.Executor executor,
                                             MetadataApplier applier) {
                Metadata headers = new Metadata();
                headers.put(AUTHORIZATION, "Bearer " + token);
                applier.apply(headers);
            }
        };
    }

    private static ModelInferRequest infer(String model, int batch, String... texts) {
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        for (String t : texts) {
            contents.addBytesContents(ByteString.copyFromUtf8(t));
        }
        return ModelInferRequest.newBuilder().setModelName(model).setId("req-1")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("text").setDatatype("BYTES")
                        .addShape(batch).setContents(contents))
                .build();
    }

    private static String[] texts(int n) {
        String[] texts = new String[n];
        for (int i = 0; i < n; i++) {
            texts[i] = "t" + i;
        }
        return texts;
    }

    private static void awaitCancelledAbove(long before) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (stack.model().grpcCounters().cancelled() <= before && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(stack.model().grpcCounters().cancelled()).isGreaterThan(before);
    }

    private static Metadata.Key<String> key(String name) {
        return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    }
}
