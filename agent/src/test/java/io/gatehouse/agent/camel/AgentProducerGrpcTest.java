package io.gatehouse.agent.camel;

import io.gatehouse.engine.PipelineExchange;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.gatehouse.agent.AgentClient;
import io.gatehouse.agent.AgentFixture;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.agent.AgentSettings;
import io.gatehouse.agent.ClientTls;
import io.gatehouse.agent.CredentialConfig;
import io.gatehouse.agent.ListenConfig;
import io.gatehouse.agent.ServiceConfig;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.Header;
import io.gatehouse.kserve.grpc.InferTensorContents;
import io.gatehouse.kserve.grpc.ModelInferRequest;
import io.gatehouse.kserve.grpc.ModelStreamInferResponse;
import io.gatehouse.samplemodel.SampleModelServer;
import io.gatehouse.samplemodel.SampleModelSettings;
import io.gatehouse.spi.Secret;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Flow;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The {@code agent:} endpoint in front of a gRPC service: one body item per response message, failures with their gRPC status. */
class AgentProducerGrpcTest {

    private static Path data;
    private static SampleModelServer model;
    private static AgentServer agent;
    private static AgentClient client;
    private static CamelContext camel;
    private static ProducerTemplate template;

    @BeforeAll
    static void start() throws Exception {
        data = Files.createTempDirectory("gatehouse-agent-camel-grpc-test");
        model = SampleModelServer.start(SampleModelSettings.loopback(AgentFixture.SECRET));
        Secret secret = Secret.of("env:MODEL_KEY", AgentFixture.SECRET);
        agent = AgentServer.start(new AgentSettings(new ListenConfig("127.0.0.1", 0), null, data, Map.of("kserve",
                new ServiceConfig(URI.create("grpc://127.0.0.1:" + model.grpcPort()),
                        new CredentialConfig(null, null, secret), null, null))));
        client = AgentClient.connect("127.0.0.1", agent.port(), ClientTls.dev(data));
        camel = new DefaultCamelContext();
        camel.getComponent("agent", AgentComponent.class).registerAgent("local", client);
        camel.start();
        template = camel.createProducerTemplate();
    }

    @AfterAll
    static void stop() throws Exception {
        camel.close();
        client.close();
        agent.close();
        model.close();
        AgentFixture.deleteRecursively(data);
    }

    private static Exchange send(String method, ModelInferRequest message) {
        PipelineExchange gateway = ForwardedExchange.of("camel-grpc", "POST", method, "");
        gateway.request().replaceBody(message.toByteArray());
        return template.send("agent:local?service=kserve", e -> AgentExchanges.attach(e, gateway));
    }

    private static ModelInferRequest infer(String modelName, String text) {
        return ModelInferRequest.newBuilder().setModelName(modelName)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("text").setDatatype("BYTES").addShape(1)
                        .setContents(InferTensorContents.newBuilder().addBytesContents(ByteString.copyFromUtf8(text))))
                .build();
    }

    @SuppressWarnings("unchecked")
    private static Flow.Publisher<byte[]> body(Exchange exchange) {
        return AgentExchanges.reply(exchange).body();
    }

    @Test
    void aStreamedGrpcAnswerIsOneBodyItemPerResponseMessage() throws Exception {
        Exchange result = send("/inference.GRPCInferenceService/ModelStreamInfer", infer("demo-small", "to be or"));

        assertThat(result.getException()).isNull();
        assertThat(AgentExchanges.reply(result).status()).isEqualTo(200);
        assertThat(AgentExchanges.reply(result).streamed()).isTrue();
        BodyCollector reader = new BodyCollector(true);
        body(result).subscribe(reader);
        reader.await();
        assertThat(reader.completed()).isTrue();
        List<String> pieces = reader.chunks().stream().map(AgentProducerGrpcTest::text).toList();
        assertThat(pieces).containsExactly("to", " be", " or");
    }

    @Test
    void aGrpcFailureBeforeAnyMessageFailsTheExchangeWithItsGrpcStatus() {
        Exchange result = send("/inference.GRPCInferenceService/ModelInfer", infer("gpt-9", "x"));

        assertThat(result.getException()).isInstanceOf(AgentCallException.class);
        AgentCallException failure = (AgentCallException) result.getException();
        assertThat(failure.kind()).isEqualTo(AgentCallException.Kind.UPSTREAM_ERROR);
        assertThat(failure.grpcStatus()).isEqualTo(OptionalInt.of(5));
        assertThat(failure.getMessage()).isEqualTo("model 'gpt-9' is not served here; models: demo-small, demo-large");
    }

    @Test
    void aFailureAfterTheHeadErrorsTheBodyWithTheExceptionCarryingTheGrpcStatus() throws Exception {
        DefaultExchange exchange = new DefaultExchange(camel);
        boolean[] done = new boolean[1];
        ResponseStream stream = new ResponseStream(exchange, sync -> done[0] = true, "local", "127.0.0.1:1");
        stream.beforeStart(new FakeRequestCall());
        stream.onNext(ForwardResponse.newBuilder().setHead(ForwardResponse.Head.newBuilder().setStatus(200)
                .setStreamed(true).addHeaders(Header.newBuilder().setName("content-type").setValue("application/grpc")))
                .build());
        stream.onNext(ForwardResponse.newBuilder().setChunk(ForwardResponse.Chunk.newBuilder()
                .setData(ByteString.copyFromUtf8("first"))).build());
        stream.onNext(ForwardResponse.newBuilder().setFailure(ForwardResponse.Failure.newBuilder()
                .setCode(ForwardResponse.Failure.Code.UPSTREAM_TIMEOUT).setGrpcStatus(4)
                .setMessage("deadline exceeded")).build());
        stream.onCompleted();

        assertThat(done[0]).isTrue();
        assertThat(exchange.getException()).isNull();
        BodyCollector reader = new BodyCollector(true);
        body(exchange).subscribe(reader);
        reader.await();
        assertThat(reader.text()).isEqualTo("first");
        assertThat(reader.error()).isInstanceOfSatisfying(AgentCallException.class, e -> {
            assertThat(e.kind()).isEqualTo(AgentCallException.Kind.UPSTREAM_TIMEOUT);
            assertThat(e.grpcStatus()).isEqualTo(OptionalInt.of(4));
            assertThat(e.getMessage()).isEqualTo("deadline exceeded");
        });
    }

    @Test
    void anHttpFailureHasNoGrpcStatus() {
        assertThat(new AgentCallException(AgentCallException.Kind.UPSTREAM_ERROR, "x").grpcStatus()).isEmpty();
    }

    private static String text(byte[] message) {
        try {
            return ModelStreamInferResponse.parseFrom(message).getInferResponse().getOutputs(0).getContents()
                    .getBytesContents(0).toStringUtf8();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError("a body item is not one whole ModelStreamInferResponse", e);
        }
    }

    /** The request side of a Forward call, which a ResponseStream only asks for messages and cancels. */
    private static final class FakeRequestCall extends io.grpc.stub.ClientCallStreamObserver<io.gatehouse.agent.proto.ForwardRequest> {
        @Override
        public void cancel(String message, Throwable cause) {
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setOnReadyHandler(Runnable onReadyHandler) {
        }

        @Override
        public void disableAutoInboundFlowControl() {
        }

        @Override
        public void disableAutoRequestWithInitial(int request) {
        }

        @Override
        public void request(int count) {
        }

        @Override
        public void setMessageCompression(boolean enable) {
        }

        @Override
        public void onNext(io.gatehouse.agent.proto.ForwardRequest value) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }
}
