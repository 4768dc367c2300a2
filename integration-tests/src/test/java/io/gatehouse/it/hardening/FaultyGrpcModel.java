package io.gatehouse.it.hardening;

import com.google.protobuf.ByteString;
import io.gatehouse.kserve.grpc.GRPCInferenceServiceGrpc;
import io.gatehouse.kserve.grpc.InferTensorContents;
import io.gatehouse.kserve.grpc.ModelInferRequest;
import io.gatehouse.kserve.grpc.ModelInferResponse;
import io.gatehouse.kserve.grpc.ModelStreamInferResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A KServe v2 / Triton gRPC model server that misbehaves on about 10 % of its calls, chosen from the
 * request's sequence number (the tensor id {@code n-<seq>}) and a seed: singles ({@link Fault#UNAVAILABLE},
 * {@link Fault#INTERNAL}, {@link Fault#DATA_LOSS}, {@link Fault#STALL} — no answer at all,
 * {@link Fault#CUT} — a stream cut after its first piece) on 2 % of the calls, and bursts of
 * {@link Fault#BURST} ({@code INTERNAL}) on {@value #BURST} consecutive calls in every
 * {@value #BURST_EVERY}. A whole answer ends with the marker {@code END-<seq>}: a unary answer's one
 * output, a stream's last of {@value #PIECES} pieces. Counts every call it receives.
 */
final class FaultyGrpcModel implements AutoCloseable {

    static final int PIECES = 3;
    static final int BURST = 20;
    static final int BURST_EVERY = 250;

    enum Fault { NONE, UNAVAILABLE, INTERNAL, DATA_LOSS, STALL, CUT, BURST }

    private final long seed;
    private final Server server;
    private final AtomicInteger received = new AtomicInteger();
    private final Map<Integer, Fault> served = new ConcurrentHashMap<>();

    FaultyGrpcModel(long seed) throws IOException {
        this.seed = seed;
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new Service()).build().start();
    }

    URI uri() {
        return URI.create("grpc://127.0.0.1:" + server.getPort());
    }

    /** Calls that reached the model. */
    int received() {
        return received.get();
    }

    /** What the model did, by sequence number (only for calls that reached it). */
    Map<Integer, Fault> served() {
        return Map.copyOf(served);
    }

    Fault faultOf(int seq) {
        if (seq % BURST_EVERY >= BURST_EVERY - BURST) {
            return Fault.BURST;
        }
        Random r = new Random(seed * 31 + seq);
        if (r.nextInt(100) >= 2) {
            return Fault.NONE;
        }
        Fault[] singles = {Fault.UNAVAILABLE, Fault.INTERNAL, Fault.DATA_LOSS, Fault.STALL, Fault.CUT};
        return singles[r.nextInt(singles.length)];
    }

    static int seqOf(ModelInferRequest request) {
        String id = request.getId();
        return id.startsWith("n-") ? Integer.parseInt(id.substring(2)) : -1;
    }

    static ModelInferResponse piece(ModelInferRequest request, String text) {
        return ModelInferResponse.newBuilder().setModelName(request.getModelName()).setId(request.getId())
                .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("text").setDatatype("BYTES")
                        .addShape(1).setContents(InferTensorContents.newBuilder()
                                .addBytesContents(ByteString.copyFromUtf8(text))))
                .build();
    }

    /** Answers with the fault of this call, if any; true when it did (the caller answers otherwise). */
    private boolean fault(Fault fault, StreamObserver<?> out) {
        switch (fault) {
            case UNAVAILABLE -> out.onError(Status.UNAVAILABLE.withDescription("model overloaded").asRuntimeException());
            case INTERNAL, BURST -> out.onError(Status.INTERNAL.withDescription("model crashed").asRuntimeException());
            case DATA_LOSS -> out.onError(Status.DATA_LOSS.withDescription("model lost data").asRuntimeException());
            case STALL -> {
                // never answers: the agent's responseTimeout ends the call
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private final class Service extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

        @Override
        public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
            received.incrementAndGet();
            int seq = seqOf(request);
            Fault fault = faultOf(seq);
            served.put(seq, fault);
            if (fault == Fault.CUT) {
                fault = Fault.INTERNAL; // a unary answer has no pieces to cut between
            }
            if (!fault(fault, out)) {
                out.onNext(piece(request, "answer END-" + seq));
                out.onCompleted();
            }
        }

        @Override
        public StreamObserver<ModelInferRequest> modelStreamInfer(StreamObserver<ModelStreamInferResponse> out) {
            return new StreamObserver<>() {
                @Override
                public void onNext(ModelInferRequest request) {
                    received.incrementAndGet();
                    int seq = seqOf(request);
                    Fault fault = faultOf(seq);
                    served.put(seq, fault);
                    if (fault == Fault.CUT) {
                        out.onNext(ModelStreamInferResponse.newBuilder().setInferResponse(piece(request, "piece 1 "))
                                .build());
                        out.onError(Status.INTERNAL.withDescription("model crashed mid-stream").asRuntimeException());
                        return;
                    }
                    if (fault(fault, out)) {
                        return;
                    }
                    for (int i = 1; i < PIECES; i++) {
                        out.onNext(ModelStreamInferResponse.newBuilder()
                                .setInferResponse(piece(request, "piece " + i + " ")).build());
                    }
                    out.onNext(ModelStreamInferResponse.newBuilder()
                            .setInferResponse(piece(request, "END-" + seq)).build());
                    out.onCompleted();
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            };
        }
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
