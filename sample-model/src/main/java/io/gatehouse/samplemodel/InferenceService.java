package io.gatehouse.samplemodel;

import com.google.protobuf.ByteString;
import io.gatehouse.kserve.grpc.GRPCInferenceServiceGrpc;
import io.gatehouse.kserve.grpc.InferParameter;
import io.gatehouse.kserve.grpc.InferTensorContents;
import io.gatehouse.kserve.grpc.ModelInferRequest;
import io.gatehouse.kserve.grpc.ModelInferResponse;
import io.gatehouse.kserve.grpc.ModelMetadataRequest;
import io.gatehouse.kserve.grpc.ModelMetadataResponse;
import io.gatehouse.kserve.grpc.ModelReadyRequest;
import io.gatehouse.kserve.grpc.ModelReadyResponse;
import io.gatehouse.kserve.grpc.ModelStreamInferResponse;
import io.gatehouse.kserve.grpc.RepositoryIndexRequest;
import io.gatehouse.kserve.grpc.RepositoryIndexResponse;
import io.gatehouse.kserve.grpc.RepositoryModelLoadRequest;
import io.gatehouse.kserve.grpc.RepositoryModelLoadResponse;
import io.gatehouse.kserve.grpc.RepositoryModelUnloadRequest;
import io.gatehouse.kserve.grpc.RepositoryModelUnloadResponse;
import io.gatehouse.kserve.grpc.ServerLiveRequest;
import io.gatehouse.kserve.grpc.ServerLiveResponse;
import io.gatehouse.kserve.grpc.ServerMetadataRequest;
import io.gatehouse.kserve.grpc.ServerMetadataResponse;
import io.gatehouse.kserve.grpc.ServerReadyRequest;
import io.gatehouse.kserve.grpc.ServerReadyResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code inference.GRPCInferenceService} for the sample model (see {@link EchoInference} for what
 * ModelInfer computes). Nothing blocks: a {@code delay_ms} wait is a timer task, cancelled as soon as
 * the call's gRPC {@link Context} is (client cancel or deadline).
 *
 * <p>ModelStreamInfer answers each request in arrival order with one response per piece of the
 * first BYTES input's first element read as UTF-8, split like the HTTP side's streamed words
 * ({@link Words#split}: each piece is a word with the whitespace before it, so the pieces concatenate
 * to the text; an empty text is one empty piece). Each piece is output {@code text_output} (BYTES,
 * shape [1], raw or typed like the request) with the request's {@code id} and the parameter
 * {@code triton_final_response} (true on the request's last piece); {@code delay_ms} is the pause
 * before each piece after the first. A request that fails (unknown model, bad input) gets one response
 * with {@code error_message} and the stream goes on. The call completes once the client has
 * half-closed and every answer is sent.
 */
final class InferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

    static final String SERVER_NAME = "gatehouse-sample-model";
    static final List<String> EXTENSIONS = List.of("model_repository", "parameters");
    static final String PLATFORM = "gatehouse-sample";
    static final String FINAL_PARAMETER = "triton_final_response";

    private final ModelRepository repository;
    private final ScheduledExecutorService timer;

    InferenceService(ModelRepository repository, ScheduledExecutorService timer) {
        this.repository = repository;
        this.timer = timer;
    }

    static String version() {
        String v = InferenceService.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> responses) {
        answer(responses, ServerLiveResponse.newBuilder().setLive(true).build());
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> responses) {
        answer(responses, ServerReadyResponse.newBuilder().setReady(true).build());
    }

    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> responses) {
        try {
            repository.require(request.getName(), request.getVersion());
            answer(responses, ModelReadyResponse.newBuilder().setReady(repository.isReady(request.getName())).build());
        } catch (StatusRuntimeException e) {
            responses.onError(e);
        }
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> responses) {
        answer(responses, ServerMetadataResponse.newBuilder().setName(SERVER_NAME).setVersion(version())
                .addAllExtensions(EXTENSIONS).build());
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> responses) {
        try {
            String name = repository.require(request.getName(), request.getVersion());
            answer(responses, ModelMetadataResponse.newBuilder()
                    .setName(name)
                    .addVersions(ModelRepository.VERSION)
                    .setPlatform(PLATFORM)
                    .addInputs(tensor("input", "BYTES", -1))
                    .addOutputs(tensor(EchoInference.ECHO, "BYTES", -1))
                    .addOutputs(tensor(EchoInference.LENGTH, "INT64", -1))
                    .addOutputs(tensor(EchoInference.EMBEDDING, "FP32", -1, EchoInference.EMBEDDING_SIZE))
                    .addOutputs(tensor(EchoInference.TEXT_OUTPUT, "BYTES", 1))
                    .build());
        } catch (StatusRuntimeException e) {
            responses.onError(e);
        }
    }

    private static ModelMetadataResponse.TensorMetadata tensor(String name, String datatype, long... shape) {
        ModelMetadataResponse.TensorMetadata.Builder t = ModelMetadataResponse.TensorMetadata.newBuilder()
                .setName(name).setDatatype(datatype);
        for (long d : shape) {
            t.addShape(d);
        }
        return t.build();
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> responses) {
        ModelInferResponse response;
        long delay;
        try {
            String model = repository.requireReady(request.getModelName(), request.getModelVersion());
            delay = EchoInference.delayMillis(request);
            response = EchoInference.infer(request, model);
        } catch (StatusRuntimeException e) {
            responses.onError(e);
            return;
        }
        if (delay == 0) {
            answer(responses, response);
            return;
        }
        Context context = Context.current();
        ScheduledFuture<?> later = timer.schedule(() -> {
            if (!context.isCancelled()) {
                answer(responses, response);
            }
        }, delay, TimeUnit.MILLISECONDS);
        context.addListener(c -> later.cancel(false), Runnable::run);
    }

    @Override
    public StreamObserver<ModelInferRequest> modelStreamInfer(StreamObserver<ModelStreamInferResponse> responses) {
        return new StreamSession((ServerCallStreamObserver<ModelStreamInferResponse>) responses);
    }

    @Override
    public void repositoryIndex(RepositoryIndexRequest request, StreamObserver<RepositoryIndexResponse> responses) {
        RepositoryIndexResponse.Builder index = RepositoryIndexResponse.newBuilder();
        for (String name : repository.names()) {
            boolean ready = repository.isReady(name);
            if (request.getReady() && !ready) {
                continue;
            }
            index.addModels(RepositoryIndexResponse.ModelIndex.newBuilder().setName(name)
                    .setVersion(ModelRepository.VERSION).setState(repository.state(name))
                    .setReason(ready ? "" : "unloaded"));
        }
        answer(responses, index.build());
    }

    @Override
    public void repositoryModelLoad(RepositoryModelLoadRequest request,
            StreamObserver<RepositoryModelLoadResponse> responses) {
        try {
            repository.setReady(request.getModelName(), true);
            answer(responses, RepositoryModelLoadResponse.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            responses.onError(e);
        }
    }

    @Override
    public void repositoryModelUnload(RepositoryModelUnloadRequest request,
            StreamObserver<RepositoryModelUnloadResponse> responses) {
        try {
            repository.setReady(request.getModelName(), false);
            answer(responses, RepositoryModelUnloadResponse.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            responses.onError(e);
        }
    }

    private static <T> void answer(StreamObserver<T> responses, T response) {
        try {
            responses.onNext(response);
            responses.onCompleted();
        } catch (StatusRuntimeException | IllegalStateException gone) {
            // The client cancelled between the check and the write: nobody is left to answer.
        }
    }

    /** One ModelStreamInfer call: requests queue up and are answered one after another. */
    private final class StreamSession implements StreamObserver<ModelInferRequest> {

        private final ServerCallStreamObserver<ModelStreamInferResponse> out;
        private final Object lock = new Object();
        private final ArrayDeque<ModelInferRequest> pending = new ArrayDeque<>();
        // Guarded by lock.
        private boolean busy;
        private boolean halfClosed;
        private boolean over;
        private ScheduledFuture<?> next;

        StreamSession(ServerCallStreamObserver<ModelStreamInferResponse> out) {
            this.out = out;
            out.setOnCancelHandler(this::cancelled);
        }

        @Override
        public void onNext(ModelInferRequest request) {
            synchronized (lock) {
                if (over) {
                    return;
                }
                pending.add(request);
                if (busy) {
                    return;
                }
                busy = true;
            }
            answerNext();
        }

        @Override
        public void onError(Throwable t) {
            cancelled();
        }

        @Override
        public void onCompleted() {
            synchronized (lock) {
                halfClosed = true;
                if (busy || over) {
                    return;
                }
                over = true;
                out.onCompleted();
            }
        }

        private void cancelled() {
            synchronized (lock) {
                over = true;
                pending.clear();
                if (next != null) {
                    next.cancel(false);
                }
            }
        }

        /**
         * Answers pending requests in order until one has to wait for its next piece (the timer then
         * carries on) or none is left; then completes the call if the client half-closed.
         */
        private void answerNext() {
            for (;;) {
                ModelInferRequest request;
                synchronized (lock) {
                    request = pending.poll();
                    if (request == null || over) {
                        busy = false;
                        if (halfClosed && !over) {
                            over = true;
                            out.onCompleted();
                        }
                        return;
                    }
                }
                List<ModelStreamInferResponse> pieces;
                long delay;
                try {
                    String model = repository.requireReady(request.getModelName(), request.getModelVersion());
                    delay = EchoInference.delayMillis(request);
                    pieces = pieces(request, model);
                } catch (StatusRuntimeException e) {
                    String message = e.getStatus().getDescription() == null ? e.getStatus().getCode().toString()
                            : e.getStatus().getDescription();
                    pieces = List.of(ModelStreamInferResponse.newBuilder().setErrorMessage(message)
                            .setInferResponse(ModelInferResponse.newBuilder().setModelName(request.getModelName())
                                    .setModelVersion(request.getModelVersion()).setId(request.getId()))
                            .build());
                    delay = 0;
                }
                if (!send(pieces, 0, delay)) {
                    return;
                }
            }
        }

        /**
         * Sends {@code pieces} from {@code index} on; true when all are sent, false when the rest waits
         * for the timer (which then goes on with the next request) or the call is over.
         */
        private boolean send(List<ModelStreamInferResponse> pieces, int index, long delay) {
            for (int i = index; i < pieces.size(); i++) {
                synchronized (lock) {
                    if (over) {
                        return false;
                    }
                    out.onNext(pieces.get(i));
                    if (delay > 0 && i + 1 < pieces.size()) {
                        int following = i + 1;
                        next = timer.schedule(() -> {
                            if (send(pieces, following, delay)) {
                                answerNext();
                            }
                        }, delay, TimeUnit.MILLISECONDS);
                        return false;
                    }
                }
            }
            return true;
        }

        private List<ModelStreamInferResponse> pieces(ModelInferRequest request, String model) {
            for (ModelInferRequest.InferRequestedOutputTensor requested : request.getOutputsList()) {
                if (!requested.getName().equals(EchoInference.TEXT_OUTPUT)) {
                    throw EchoInference.invalid("unknown output '" + requested.getName()
                            + "'; the streamed output is " + EchoInference.TEXT_OUTPUT);
                }
            }
            EchoInference.BytesInput input = EchoInference.bytesInput(request);
            List<String> words = Words.split(EchoInference.firstText(input));
            if (words.isEmpty()) {
                words = List.of("");
            }
            List<ModelStreamInferResponse> pieces = new ArrayList<>();
            for (int i = 0; i < words.size(); i++) {
                ByteString piece = ByteString.copyFrom(words.get(i), StandardCharsets.UTF_8);
                ModelInferResponse.InferOutputTensor.Builder tensor = ModelInferResponse.InferOutputTensor.newBuilder()
                        .setName(EchoInference.TEXT_OUTPUT).setDatatype("BYTES").addShape(1);
                ModelInferResponse.Builder response = ModelInferResponse.newBuilder()
                        .setModelName(model).setModelVersion(ModelRepository.VERSION).setId(request.getId())
                        .putParameters(FINAL_PARAMETER, InferParameter.newBuilder().setBoolParam(i == words.size() - 1).build());
                if (input.raw()) {
                    response.addRawOutputContents(ByteString.copyFrom(EchoInference.encodeRaw(List.of(piece)).flip()));
                } else {
                    tensor.setContents(InferTensorContents.newBuilder().addBytesContents(piece));
                }
                response.addOutputs(tensor);
                pieces.add(ModelStreamInferResponse.newBuilder().setInferResponse(response).build());
            }
            return pieces;
        }
    }
}
