package io.gatehouse.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Circuit breaking for a gRPC (KServe v2 / Triton) service, as for an HTTP one: a model server whose calls
 * close with a server-side status is left alone for a while, then tried again; a status that is the caller's
 * (NOT_FOUND, INVALID_ARGUMENT) says nothing against the server.
 */
class GrpcCircuitBreakerTest {

    private static final Duration OPEN = Duration.ofMillis(400);
    private static final String INFER = "/inference.GRPCInferenceService/ModelInfer";

    private Path data;
    private Server model;
    /** How the model closes its next calls: OK (echoes the request) or this status. */
    private final AtomicReference<Status> answer = new AtomicReference<>(Status.INTERNAL);
    private final AtomicInteger calls = new AtomicInteger();
    private AgentServer agent;
    private AgentClient client;

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    };

    @BeforeEach
    void start() throws Exception {
        data = Files.createTempDirectory("gatehouse-agent-grpc-breaker-test");
        MethodDescriptor<byte[], byte[]> infer = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(INFER.substring(1))
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
        model = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerServiceDefinition.builder("inference.GRPCInferenceService")
                        .addMethod(infer, ServerCalls.asyncUnaryCall((request, out) -> {
                            calls.incrementAndGet();
                            Status status = answer.get();
                            if (status.isOk()) {
                                out.onNext(request);
                                out.onCompleted();
                            } else {
                                out.onError(status.withDescription("the model says no").asRuntimeException());
                            }
                        })).build())
                .build().start();
        Map<String, ServiceConfig> services = new LinkedHashMap<>();
        URI url = URI.create("grpc://127.0.0.1:" + model.getPort());
        services.put("triton", new ServiceConfig(url, null, null, null, null,
                new CircuitBreakerConfig(true, 50, 4, 4, OPEN, 1)));
        services.put("triton-unguarded", new ServiceConfig(url, null, null, null, null,
                CircuitBreakerConfig.disabled()));
        services.put("triton-down", new ServiceConfig(URI.create("grpc://127.0.0.1:" + AgentFixture.freePort()),
                null, null, null, null, new CircuitBreakerConfig(true, 50, 2, 2, Duration.ofSeconds(30), 1)));
        agent = AgentServer.start(new AgentSettings(new ListenConfig("127.0.0.1", 0), null, data, services));
        client = AgentClient.connect("127.0.0.1", agent.port(), ClientTls.dev(data));
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        agent.close();
        model.shutdownNow();
        AgentFixture.deleteRecursively(data);
    }

    private Collected call(String service) throws InterruptedException {
        Collected collected = new Collected();
        client.forward(ForwardRequest.newBuilder().setRequestId("req-" + System.nanoTime()).setService(service)
                .setMethod("POST").setPath(INFER).setBody(ByteString.copyFromUtf8("tensor")).build(),
                Instant.now().plusSeconds(30), collected);
        return collected.await();
    }

    @Test
    void aGrpcServiceFailingWithInternalIsNotCalledWhileItsCircuitIsOpenThenATrialCallClosesIt() throws Exception {
        for (int i = 0; i < 4; i++) {
            ForwardResponse.Failure failure = call("triton").failure();
            assertThat(failure.getCode()).isEqualTo(ForwardResponse.Failure.Code.UPSTREAM_ERROR);
            assertThat(failure.getGrpcStatus()).isEqualTo(Status.Code.INTERNAL.value());
        }
        assertThat(calls.get()).isEqualTo(4);

        ForwardResponse.Failure refused = call("triton").failure();

        assertThat(refused.getCode()).isEqualTo(ForwardResponse.Failure.Code.CIRCUIT_OPEN);
        assertThat(refused.getMessage()).startsWith("service 'triton' is failing, so the agent stopped calling it "
                + "for now (circuit open: 4 of its last 4 calls failed); retry in ");
        assertThat(refused.getRetryAfterMillis()).isBetween(1L, 1000L);
        assertThat(calls.get()).as("the model was not called").isEqualTo(4);

        answer.set(Status.OK);
        Thread.sleep(OPEN.toMillis() + 100); // the open period passes: the next call is a trial
        Collected trial = call("triton");
        assertThat(trial.messages()).extracting(ForwardResponse::getPartCase).containsExactly(
                ForwardResponse.PartCase.HEAD, ForwardResponse.PartCase.CHUNK, ForwardResponse.PartCase.END);
        assertThat(call("triton").messages()).as("closed again after the trial")
                .extracting(ForwardResponse::getPartCase).endsWith(ForwardResponse.PartCase.END);
        assertThat(calls.get()).isEqualTo(6);
    }

    @Test
    void statusesThatAreTheCallersDoNotOpenTheCircuit() throws Exception {
        answer.set(Status.NOT_FOUND);
        for (int i = 0; i < 6; i++) {
            ForwardResponse.Failure failure = call("triton").failure();
            assertThat(failure.getCode()).isEqualTo(ForwardResponse.Failure.Code.UPSTREAM_ERROR);
            assertThat(failure.getGrpcStatus()).isEqualTo(Status.Code.NOT_FOUND.value());
        }
        assertThat(calls.get()).as("every call reached the model").isEqualTo(6);
    }

    @Test
    void anUnreachableGrpcServiceOpensItsCircuit() throws Exception {
        for (int i = 0; i < 2; i++) {
            assertThat(call("triton-down").failure().getCode())
                    .isEqualTo(ForwardResponse.Failure.Code.UPSTREAM_UNREACHABLE);
        }
        assertThat(call("triton-down").failure().getCode()).isEqualTo(ForwardResponse.Failure.Code.CIRCUIT_OPEN);
    }

    @Test
    void aServiceWithTheBreakerOffIsCalledWhateverItAnswered() throws Exception {
        for (int i = 0; i < 8; i++) {
            assertThat(call("triton-unguarded").failure().getCode())
                    .isEqualTo(ForwardResponse.Failure.Code.UPSTREAM_ERROR);
        }
        assertThat(calls.get()).isEqualTo(8);
    }
}
