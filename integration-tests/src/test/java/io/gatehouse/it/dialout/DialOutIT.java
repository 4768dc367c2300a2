package io.gatehouse.it.dialout;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.agent.DevCertificates;
import io.gatehouse.kserve.grpc.GRPCInferenceServiceGrpc;
import io.gatehouse.kserve.grpc.InferTensorContents;
import io.gatehouse.kserve.grpc.ModelInferRequest;
import io.gatehouse.kserve.grpc.ModelInferResponse;
import io.grpc.CallCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An agent with no listening port serves the gateway's callers: it dials the gateway's agent tunnel, and the OpenAI
 * SDK (whole and streamed answers) and a grpc-java KServe client reach the sample model through it. Agents with a
 * name the gateway does not pin, or a certificate from another CA, are refused and recorded.
 */
class DialOutIT {

    private static DialOutStack stack;
    private static AgentServer agent;

    @BeforeAll
    static void start() throws Exception {
        stack = DialOutStack.start();
        agent = stack.startAgent("a", "local", stack.certificate("agent-a"), stack.ca(), null);
        stack.awaitAttached(1);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    private static OpenAIClient client() {
        return OpenAIOkHttpClient.builder().baseUrl(stack.baseUrl()).apiKey(stack.token("alice", "analysts"))
                .timeout(Duration.ofSeconds(30)).maxRetries(0).build();
    }

    @Test
    void anAgentWithNoListeningPortAnswersTheOpenAiSdkThroughTheGateway() {
        assertThat(agent.port()).isEqualTo(-1);
        assertThat(agent.attachedToGateway()).isTrue();

        ChatCompletion answer = client().chat().completions().create(ChatCompletionCreateParams.builder()
                .model("demo-small").addUserMessage("hello through the tunnel").build());

        assertThat(answer.choices().get(0).message().content()).contains("You said: hello through the tunnel");
    }

    @Test
    void aStreamedAnswerArrivesChunkByChunkOverTheTunnel() {
        try (StreamResponse<ChatCompletionChunk> stream = client().chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("demo-small")
                        .addUserMessage("stream these few words back").build())) {
            java.util.List<String> parts = stream.stream().flatMap(c -> c.choices().stream())
                    .map(c -> c.delta().content().orElse("")).filter(s -> !s.isEmpty()).toList();
            assertThat(parts.size()).isGreaterThan(3);
            assertThat(String.join("", parts)).isEqualTo("You said: stream these few words back");
        }
    }

    @Test
    void aKserveGrpcClientIsAnsweredByTheModelBehindTheDiallingAgent() throws Exception {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", stack.grpcPort(),
                InsecureChannelCredentials.create()).build();
        try {
            String token = stack.token("alice", "analysts");
            ModelInferResponse answer = GRPCInferenceServiceGrpc.newBlockingStub(channel)
                    .withCallCredentials(bearer(token)).withDeadlineAfter(20, TimeUnit.SECONDS)
                    .modelInfer(ModelInferRequest.newBuilder().setModelName("demo-small").setId("r1")
                            .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("text")
                                    .setDatatype("BYTES").addShape(1).setContents(InferTensorContents.newBuilder()
                                            .addBytesContents(ByteString.copyFromUtf8("over the tunnel"))))
                            .build());
            assertThat(answer.getOutputs(0).getContents().getBytesContents(0).toStringUtf8()).isEqualTo("over the tunnel");
            assertThat(stack.model.grpcCounters().lastCall().orElseThrow().authorization())
                    .isEqualTo("Bearer " + stack.modelKey);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void readyzAndMetricsShowTheAgentThatDialledIn() throws Exception {
        String ready = stack.admin("/readyz", null);
        assertThat(ready).contains("\"status\":\"READY\"").contains("dialled in agent-a from 127.0.0.1");
        String metrics = stack.admin("/metrics", null);
        assertThat(metrics).contains("gatehouse_agents_connected{agent=\"local\"} 1.0")
                .contains("gatehouse_agents_dialled_in{agent=\"local\"} 1.0");
    }

    @Test
    void anAgentWhoseIdentityTheGatewayDoesNotKnowIsRefusedAndRecorded() throws Exception {
        AgentServer stranger = stack.startAgent("stranger", "local", stack.certificate("stranger"), stack.ca(), null);
        try {
            String refusal = awaitRefusal("unknown-identity");
            assertThat(stranger.attachedToGateway()).isFalse();
            assertThat(refusal).contains("stranger").contains("not pinned to any agent");
        } finally {
            stranger.close();
        }
    }

    @Test
    void anAgentAskingToServeANameItsIdentityIsNotPinnedToIsRefused() throws Exception {
        AgentServer wrong = stack.startAgent("wrong-name", "other", stack.certificate("agent-b"), stack.ca(), null);
        try {
            String refusal = awaitRefusal("agent-mismatch");
            assertThat(wrong.attachedToGateway()).isFalse();
            assertThat(refusal).contains("agent-b").contains("pinned to agent 'local', not 'other'");
        } finally {
            wrong.close();
        }
    }

    @Test
    void anAgentWithACertificateFromAnotherCaIsRefusedInTheHandshakeAndRecorded() throws Exception {
        Path otherData = stack.root.resolve("other-ca");
        DevCertificates.CertificateFiles other = DevCertificates.ensure(otherData);
        Path[] cert = DevCertificates.issue(otherData, "agent-a", stack.root.resolve("other-certs"));
        // It trusts the gateway's CA, so only the gateway's check of the agent's certificate can refuse it.
        AgentServer forged = stack.startAgent("forged", "local", cert, stack.ca(), null);
        try {
            String refusal = awaitRefusal("untrusted-certificate");
            assertThat(forged.attachedToGateway()).isFalse();
            assertThat(refusal).contains("Gatehouse development CA");
            assertThat(other.caCertificate()).exists();
        } finally {
            forged.close();
        }
    }

    /** The audit record of a refusal with this reason, as the auditor sees it through the admin API. */
    private static String awaitRefusal(String reason) throws Exception {
        String auditor = stack.token("ada", "auditors");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            String metrics = stack.admin("/metrics", null);
            if (metrics.contains("gatehouse_agents_refused_total{reason=\"" + reason + "\"}")) {
                String listed = stack.admin("/admin/sessions?endpoint=agent-tunnel&since=1h", auditor);
                java.util.List<String> ids = new com.fasterxml.jackson.databind.ObjectMapper().readTree(listed)
                        .path("sessions").findValuesAsText("recordId");
                for (String id : ids) {
                    String shown = stack.admin("/admin/sessions/" + id, auditor);
                    if (shown.contains(reason)) {
                        return shown;
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no recorded refusal with reason " + reason + "; listed: "
                + stack.admin("/admin/sessions?endpoint=agent-tunnel&since=1h", auditor) + "; metrics: "
                + stack.admin("/metrics", null).lines().filter(l -> l.contains("agents")).collect(Collectors.joining("\n")));
    }

    private static CallCredentials bearer(String token) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
                Metadata headers = new Metadata();
                headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
                applier.apply(headers);
            }
        };
    }
}
