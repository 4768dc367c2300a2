package io.gatehouse.it.observability;

import static io.gatehouse.it.support.TempDirs.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.cli.dev.DevIssuer;
import io.gatehouse.cli.dev.DevKeys;
import io.gatehouse.cli.dev.DevTokens;
import io.gatehouse.gateway.route.GatewayRuntime;
import io.gatehouse.it.observability.OtlpReceiver.Received;
import io.gatehouse.it.support.Closer;
import io.gatehouse.it.support.TempDirs;
import io.gatehouse.it.support.TestAgent;
import io.gatehouse.it.support.TestConfig;
import io.gatehouse.samplemodel.SampleModelServer;
import io.gatehouse.samplemodel.SampleModelSettings;
import com.google.protobuf.ByteString;
import io.gatehouse.kserve.grpc.GRPCInferenceServiceGrpc;
import io.gatehouse.kserve.grpc.InferTensorContents;
import io.gatehouse.kserve.grpc.ModelInferRequest;
import io.gatehouse.kserve.grpc.ModelInferResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Traces over the whole path, received by a real OTLP/HTTP receiver in this test: client → gateway (tracing on in
 * gateway.yaml, sampling ratio 1) → agent (tracing on in agent.yaml) → model (behind a tap that notes the
 * {@code traceparent} it is sent). The endpoint's pipeline is recording, auth, policy (the demo's policies) and
 * masking; each test reads the span tree of one request.
 */
class TracingIT {

    private static final String AUDIENCE = "gatehouse";
    private static final String KEY_VARIABLE = "GATEHOUSE_IT_MODEL_KEY";
    private static final String PROMPT = "mail bob.smith@example.com or card 4111 1111 1111 1111, thanks";
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String FORWARD = "gatehouse.agent.v1.Agent/Forward";

    private static final Closer started = new Closer();
    private static Path root;
    private static OtlpReceiver receiver;
    private static ModelTap tap;
    private static RSAKey devKey;
    private static DevIssuer issuer;
    private static GatewayRuntime gateway;
    private static String modelKey;
    private static final HttpClient http = HttpClient.newHttpClient();
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        // Export every few milliseconds instead of the batch processor's 5 s default, so the test waits less.
        // A system property: the OTEL_*/otel.* settings outrank the config files, as docs/tracing.md says.
        System.setProperty("otel.bsp.schedule.delay", "100");
        root = Files.createTempDirectory("gatehouse-it-tracing-");
        Path data = root.resolve("data");
        receiver = started.add(new OtlpReceiver());
        modelKey = TestAgent.randomKey();
        SampleModelServer model = started.add(SampleModelServer.start(SampleModelSettings.loopback(modelKey)
                .withTokenDelay(Duration.ofMillis(20)).withGrpcPort(0)));
        tap = started.add(new ModelTap(model.baseUri()));
        String tracing = "tracing:\n  enabled: true\n  endpoint: " + receiver.endpoint() + "\n  samplingRatio: 1\n";
        AgentServer agent = started.add(TestAgent.start(root.resolve("agent").resolve("agent.yaml"), data,
                Map.of("demo-model", tap.baseUri(), "demo-grpc", URI.create("grpc://127.0.0.1:" + model.grpcPort())),
                KEY_VARIABLE, modelKey, "",
                tracing + "  serviceName: it-agent\n"));
        devKey = DevKeys.loadOrCreate(data);
        issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));
        Path config = root.resolve("config");
        write(config.resolve("gateway.yaml"), "listeners:\n  http:\n    host: 127.0.0.1\n    port: 0\n"
                + "  grpc:\n    protocol: grpc\n    host: 127.0.0.1\n    port: 0\n"
                + "admin:\n  host: 127.0.0.1\n  port: 0\nagents:\n  local:\n    address: 127.0.0.1:" + agent.port()
                + "\ndataDirectory: " + data + "\nidentity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer()
                + "\n      audiences: [" + AUDIENCE + "]\n" + tracing + "  serviceName: it-gateway\n");
        write(config.resolve("endpoints").resolve("openai.yaml"), "id: openai\nlistener: http\npath: /v1\n"
                + "protocol: openai\ntarget:\n  agent: local\n  service: demo-model\npipeline:\n"
                + "  - recording: {}\n  - auth:\n      providers: [dev]\n  - policy:\n  - approval:\n      approvers: [ml-leads]\n"
                + "  - masking: {}\n");
        write(config.resolve("endpoints").resolve("kserve-grpc.yaml"), "id: kserve-grpc\nlistener: grpc\n"
                + "models: [demo-small]\nprotocol: kserve-v2\ntarget:\n  agent: local\n  service: demo-grpc\n"
                + "pipeline:\n  - auth:\n      providers: [dev]\n  - policy: {}\n");
        TestConfig.writeOllamaEndpoint(config, "demo-model"); // the demo's policies name it
        TestConfig.copyDemoPolicies(config);
        gateway = started.add(TestConfig.startGateway(config));
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", gateway.port("grpc"), InsecureChannelCredentials.create())
                .build();
        started.add((AutoCloseable) () -> channel.shutdownNow());
    }

    @AfterAll
    static void stop() {
        started.close();
        System.clearProperty("otel.bsp.schedule.delay");
        if (root != null) {
            TempDirs.deleteTreeQuietly(root);
        }
    }

    @Test
    void anAllowedRequestContinuesTheClientsTraceThroughEveryStepTheAgentAndTheModel() throws Exception {
        String traceId = randomHex(16);
        String clientSpan = randomHex(8);
        String token = token("alice", List.of("analysts"));
        HttpResponse<String> answer = chat(token, false, "00-" + traceId + "-" + clientSpan + "-01");
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        String requestId = answer.headers().firstValue("Gatehouse-Request-Id").orElseThrow();

        List<Received> trace = awaitTrace(traceId, spans -> has(spans, "it-gateway", SpanKind.SPAN_KIND_SERVER)
                && has(spans, "it-agent", SpanKind.SPAN_KIND_SERVER) && has(spans, "it-agent", SpanKind.SPAN_KIND_CLIENT));
        Received exchange = one(trace, "it-gateway", SpanKind.SPAN_KIND_SERVER);
        assertThat(exchange.parentSpanId()).as("the gateway's span continues the client's").isEqualTo(clientSpan);
        assertThat(exchange.name()).isEqualTo("POST /v1");
        assertThat(exchange.attributes()).containsEntry("gatehouse.request_id", requestId)
                .containsEntry("gatehouse.endpoint", "openai").containsEntry("gatehouse.model", "demo-small")
                .containsEntry("gatehouse.decision", "allowed").containsEntry("gatehouse.rule", "chat-small")
                .containsEntry("http.request.method", "POST").containsEntry("http.route", "/v1")
                .containsEntry("http.response.status_code", "200");

        List<Received> children = trace.stream().filter(s -> s.parentSpanId().equals(exchange.spanId())).toList();
        assertThat(children).extracting(Received::name)
                .containsExactlyInAnyOrder("recording", "auth", "policy", "approval", "masking", FORWARD);
        Received policy = named(children, "policy");
        assertThat(policy.attributes()).containsEntry("gatehouse.decision", "allowed")
                .containsEntry("gatehouse.policy", "analysts").containsEntry("gatehouse.rule", "chat-small");
        Received agentCall = named(children, FORWARD);
        assertThat(agentCall.kind()).isEqualTo(SpanKind.SPAN_KIND_CLIENT);
        assertThat(agentCall.service()).isEqualTo("it-gateway");

        Received forward = one(trace, "it-agent", SpanKind.SPAN_KIND_SERVER);
        assertThat(forward.parentSpanId()).as("the agent continues the gateway's agent call").isEqualTo(agentCall.spanId());
        assertThat(forward.attributes()).containsEntry("gatehouse.request_id", requestId)
                .containsEntry("gatehouse.service", "demo-model");
        Received modelCall = one(trace, "it-agent", SpanKind.SPAN_KIND_CLIENT);
        assertThat(modelCall.parentSpanId()).isEqualTo(forward.spanId());
        assertThat(modelCall.attributes()).containsEntry("http.response.status_code", "200")
                .containsEntry("url.path", "/v1/chat/completions");
        assertThat(tap.traceparents).as("the model was sent the model call's context")
                .contains("00-" + traceId + "-" + modelCall.spanId() + "-01");
        assertNoCredentialIn(trace, token);
    }

    @Test
    void aDeniedRequestHasThePolicySpanWithTheRuleAndNoAgentCall() throws Exception {
        String token = token("ada", List.of("auditors"));
        int sentToModel = tap.traceparents.size();
        HttpResponse<String> answer = chat(token, false, null);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(403);
        String requestId = answer.headers().firstValue("Gatehouse-Request-Id").orElseThrow();

        Received exchange = awaitExchange(requestId);
        assertThat(exchange.parentSpanId()).as("no traceparent sent: a new trace").isEmpty();
        assertThat(exchange.attributes()).containsEntry("gatehouse.decision", "denied")
                .containsEntry("gatehouse.policy", "auditors").containsEntry("gatehouse.rule", "no-model-access")
                .containsEntry("http.response.status_code", "403");
        // The recording's end is written after the answer: give its span's batch a moment too.
        List<Received> trace = awaitTrace(exchange.traceId(), spans -> spans.stream().anyMatch(s -> s.name().equals("policy")));
        Received policy = named(trace, "policy");
        assertThat(policy.parentSpanId()).isEqualTo(exchange.spanId());
        assertThat(policy.attributes()).containsEntry("gatehouse.decision", "denied")
                .containsEntry("gatehouse.rule", "no-model-access").containsEntry("http.response.status_code", "403");
        assertThat(trace).extracting(Received::name).doesNotContain(FORWARD, "masking");
        assertThat(trace).extracting(Received::service).containsOnly("it-gateway");
        assertThat(tap.traceparents).hasSize(sentToModel);
        assertNoCredentialIn(trace, token);
    }

    @Test
    void aStreamedAnswersExchangeSpanEndsAfterItsLastChunkWithTheMaskingCounts() throws Exception {
        String token = token("alice", List.of("analysts"));
        HttpResponse<java.io.InputStream> answer = http.send(request(token, true, null),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(answer.statusCode()).isEqualTo(200);
        long headSeen = System.currentTimeMillis();
        String body;
        try (java.io.InputStream in = answer.body()) {
            body = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        long lastSeen = System.currentTimeMillis();
        assertThat(body).contains("data: [DONE]").doesNotContain("bob.smith");
        assertThat(lastSeen - headSeen).as("the stream takes a while (20 ms a token)").isGreaterThan(100);
        String requestId = answer.headers().firstValue("Gatehouse-Request-Id").orElseThrow();

        Received exchange = awaitExchange(requestId);
        List<Received> trace = awaitTrace(exchange.traceId(), spans -> has(spans, "it-agent", SpanKind.SPAN_KIND_SERVER));
        Received forward = one(trace, "it-agent", SpanKind.SPAN_KIND_SERVER);
        assertThat(exchange.attributes()).containsEntry("gatehouse.stream", "true")
                .containsEntry("gatehouse.masking.count.email", "1")
                .containsEntry("gatehouse.masking.count.credit-card", "1");
        assertThat(exchange.endNanos()).as("ends after the agent's stream ended, not when the head was sent")
                .isGreaterThanOrEqualTo(forward.endNanos());
        assertThat(exchange.endNanos() / 1_000_000).as("ends after the client saw the head")
                .isGreaterThan(headSeen + 50);
        assertNoCredentialIn(trace, token);
    }

    @Test
    void aHeldRequestsPolicySpanSaysItNeedsAnApprovalTheApprovalSpanAnswers202AndTheAgentIsNotCalled() throws Exception {
        String token = token("bob", List.of("ml-engineers"));
        HttpResponse<String> held = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port("http")
                        + "/v1/batches"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .header("Gatehouse-Reason", "tracing test").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString("{\"input_file_id\":\"file-abc\",\"endpoint\":"
                        + "\"/v1/chat/completions\",\"completion_window\":\"24h\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(held.statusCode()).as(held.body()).isEqualTo(202);
        String requestId = held.headers().firstValue("Gatehouse-Request-Id").orElseThrow();

        Received exchange = awaitExchange(requestId);
        List<Received> trace = awaitTrace(exchange.traceId(), spans -> spans.stream().anyMatch(s -> s.name().equals("approval")));
        assertThat(exchange.attributes()).containsEntry("http.response.status_code", "202");
        assertThat(named(trace, "policy").attributes()).containsEntry("gatehouse.approval_required", "true");
        Received approval = named(trace, "approval");
        assertThat(approval.parentSpanId()).isEqualTo(exchange.spanId());
        assertThat(approval.attributes()).containsEntry("http.response.status_code", "202")
                .doesNotContainKey("gatehouse.approval_required");
        assertThat(trace).extracting(Received::name).doesNotContain(FORWARD, "masking");
        assertNoCredentialIn(trace, token);
    }

    @Test
    void aCallersOverlongModelNameIsCutToTheAttributeLimit() throws Exception {
        String model = "m".repeat(5000);
        String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + gateway.port("http") + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + token("alice", List.of("analysts")))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        String requestId = answer.headers().firstValue("Gatehouse-Request-Id").orElseThrow();

        Received exchange = awaitExchange(requestId);
        assertThat(exchange.attribute("gatehouse.model")).isEqualTo("m".repeat(256));
    }

    @Test
    void aGrpcCallContinuesTheTraceFromItsMetadataThroughTheAgentToTheGrpcModel() throws Exception {
        String traceId = randomHex(16);
        String clientSpan = randomHex(8);
        String token = token("alice", List.of("analysts"));
        Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        metadata.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER),
                "00-" + traceId + "-" + clientSpan + "-01");
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("demo-small").setId("t-1")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("text").setDatatype("BYTES")
                        .addShape(1).setContents(InferTensorContents.newBuilder()
                                .addBytesContents(ByteString.copyFromUtf8("hello"))))
                .build();

        ModelInferResponse answer = GRPCInferenceServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
                .withDeadlineAfter(20, java.util.concurrent.TimeUnit.SECONDS).modelInfer(request);

        assertThat(answer.getOutputsCount()).isPositive();
        List<Received> trace = awaitTrace(traceId, spans -> has(spans, "it-gateway", SpanKind.SPAN_KIND_SERVER)
                && has(spans, "it-agent", SpanKind.SPAN_KIND_CLIENT));
        Received exchange = one(trace, "it-gateway", SpanKind.SPAN_KIND_SERVER);
        assertThat(exchange.parentSpanId()).isEqualTo(clientSpan);
        assertThat(exchange.name()).isEqualTo("inference.GRPCInferenceService/ModelInfer");
        assertThat(exchange.attributes()).containsEntry("rpc.system", "grpc")
                .containsEntry("gatehouse.endpoint", "kserve-grpc").containsEntry("gatehouse.rule", "infer-small");
        Received agentCall = trace.stream().filter(s -> s.name().equals(FORWARD) && "it-gateway".equals(s.service()))
                .findFirst().orElseThrow();
        Received forward = one(trace, "it-agent", SpanKind.SPAN_KIND_SERVER);
        assertThat(forward.parentSpanId()).isEqualTo(agentCall.spanId());
        Received modelCall = one(trace, "it-agent", SpanKind.SPAN_KIND_CLIENT);
        assertThat(modelCall.parentSpanId()).isEqualTo(forward.spanId());
        assertThat(modelCall.name()).isEqualTo("inference.GRPCInferenceService/ModelInfer");
        assertThat(modelCall.attributes()).containsEntry("rpc.system", "grpc");
        assertNoCredentialIn(trace, token);
    }

    // ---- helpers ----

    private static HttpResponse<String> chat(String token, boolean stream, String traceparent) throws Exception {
        return http.send(request(token, stream, traceparent), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest request(String token, boolean stream, String traceparent) {
        String body = "{\"model\":\"demo-small\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\""
                + PROMPT + "\"}]}";
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port("http")
                        + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (traceparent != null) {
            b.header("traceparent", traceparent).header("tracestate", "it=1");
        }
        return b.build();
    }

    private static String token(String user, List<String> groups) {
        return DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, user, groups, Duration.ofHours(1), Instant.now());
    }

    private static List<Received> awaitTrace(String traceId, Predicate<List<Received>> complete) throws Exception {
        List<Received> spans = receiver.await(all -> complete.test(all.stream()
                .filter(s -> s.traceId().equals(traceId)).toList()), WAIT);
        // What else of the trace is in the same or the next batch (the steps end before the exchange).
        Thread.sleep(300);
        return receiver.spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
    }

    private static Received awaitExchange(String requestId) throws Exception {
        Predicate<Received> wanted = s -> s.kind() == SpanKind.SPAN_KIND_SERVER && "it-gateway".equals(s.service())
                && requestId.equals(s.attribute("gatehouse.request_id"));
        List<Received> spans = receiver.await(all -> all.stream().anyMatch(wanted), WAIT);
        Optional<Received> found = spans.stream().filter(wanted).findFirst();
        assertThat(found).as("the exchange span of request %s among %s", requestId, spans).isPresent();
        return found.get();
    }

    private static boolean has(List<Received> spans, String service, SpanKind kind) {
        return spans.stream().anyMatch(s -> service.equals(s.service()) && s.kind() == kind);
    }

    private static Received one(List<Received> spans, String service, SpanKind kind) {
        List<Received> found = spans.stream().filter(s -> service.equals(s.service()) && s.kind() == kind).toList();
        assertThat(found).as("%s %s spans in %s", service, kind, spans).hasSize(1);
        return found.get(0);
    }

    private static Received named(List<Received> spans, String name) {
        List<Received> found = spans.stream().filter(s -> s.name().equals(name)).toList();
        assertThat(found).as("spans named %s in %s", name, spans).hasSize(1);
        return found.get(0);
    }

    /** No attribute of any span holds the caller's token, the model's key or an Authorization value. */
    private static void assertNoCredentialIn(List<Received> spans, String token) {
        assertThat(spans).isNotEmpty();
        for (Received span : spans) {
            span.attributes().forEach((key, value) -> {
                assertThat(key.toLowerCase()).as("attribute key on %s", span.name()).doesNotContain("authorization");
                assertThat(value).as("attribute %s on %s", key, span.name()).doesNotContain(token)
                        .doesNotContain(modelKey).doesNotContain("Bearer").doesNotContain("bob.smith");
            });
        }
    }

    private static String randomHex(int bytes) {
        byte[] random = new byte[bytes];
        new SecureRandom().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }
}
