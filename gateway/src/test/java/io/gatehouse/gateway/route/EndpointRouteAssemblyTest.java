package io.gatehouse.gateway.route;

import io.gatehouse.agent.camel.AgentExchanges;
import io.gatehouse.agent.camel.AgentReply;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.EndpointConfig;
import io.gatehouse.config.ListenerConfig;
import io.gatehouse.config.TargetConfig;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.engine.Step;
import io.gatehouse.gateway.pipeline.ResponsePhaseProcessor;
import io.gatehouse.gateway.protocol.OpenAiAdapter;
import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ChunkTransformer;
import io.gatehouse.spi.Completion;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.Phase;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.ProcessorDefinition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Route assembly: the real listener and pipeline adapter, with the {@code agent:} node replaced by
 * AdviceWith so each test controls what "the model" answers. Where a test must know that the route
 * has run to its end, a {@link NotifyBuilder} says so (Camel's own test support, from camel-core-model).
 */
class EndpointRouteAssemblyTest {

    private final List<String> trail = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private DefaultCamelContext camel;
    private int port;

    @AfterEach
    void stop() {
        if (camel != null) {
            camel.stop();
        }
    }

    /** A step that writes what it sees into the trail. */
    private GatewayProcessor tracing(String name) {
        return new GatewayProcessor() {
            @Override
            public Outcome onRequest(GatewayExchange exchange) {
                trail.add(name + ".request");
                return Outcome.proceed();
            }

            @Override
            public void onResponse(GatewayExchange exchange) {
                trail.add(name + ".response");
            }

            @Override
            public void onComplete(GatewayExchange exchange, Completion completion) {
                trail.add(name + ".complete:" + completion.kind() + ":" + completion.status());
            }
        };
    }

    private void start(List<Step> steps, org.apache.camel.Processor agent) throws Exception {
        start(steps, agent, ListenerConfig.EVENT_LOOPS_PER_CPU);
    }

    private void start(List<Step> steps, org.apache.camel.Processor agent, int eventLoops) throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ListenerConfig defaults = new ListenerConfig("127.0.0.1", port, ByteSize.parse("1MiB"),
                ByteSize.parse("16KiB"));
        ListenerConfig listener = new ListenerConfig(defaults.host(), port, defaults.maxBodyBytes(),
                defaults.maxHeaderBytes(), defaults.protocol(), defaults.headerReadTimeout(), defaults.bodyReadTimeout(),
                defaults.idleTimeout(), defaults.maxConnections(), defaults.http2(), defaults.refusalRecordsPerSecond(),
                eventLoops);
        EndpointConfig endpoint = new EndpointConfig("chat", "http", "/v1", "openai",
                new TargetConfig("local", "demo-model"), List.of(), "endpoints/chat.yaml");
        camel = new DefaultCamelContext();
        camel.addRoutes(new EndpointRoutes(List.of(new EndpointRoutes.Plan(endpoint, listener, new OpenAiAdapter(),
                steps)), Map.of("http", listener), 1 << 20, done -> trail.add("completed:" + done.completion().kind())));
        AdviceWith.adviceWith(camel, "chat", a -> a.weaveById("chat.agent").replace().process(agent));
        camel.start();
    }

    private static Step step(String id, Phase phase, GatewayProcessor processor) {
        return new Step(id, "chat." + id, "chat", phase, processor);
    }

    private static org.apache.camel.Processor answering(int status, String contentType, String body) {
        return exchange -> {
            SubmissionPublisher<byte[]> publisher = new SubmissionPublisher<>();
            AgentExchanges.setReply(exchange, new AgentReply(status,
                    Map.of("Content-Type", List.of(contentType), "X-Model", List.of("demo")), false, publisher));
            Executors.newSingleThreadScheduledExecutor().schedule(() -> {
                publisher.submit(body.getBytes(StandardCharsets.UTF_8));
                publisher.close();
            }, 20, TimeUnit.MILLISECONDS);
        };
    }

    private HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** One HTTP response from a raw stream: its head, then as many body bytes as its Content-Length. */
    private static String readOneResponse(java.io.InputStream in) throws java.io.IOException {
        java.io.ByteArrayOutputStream read = new java.io.ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        while (true) {
            String text = read.toString(StandardCharsets.UTF_8);
            int headEnd = text.indexOf("\r\n\r\n");
            if (headEnd >= 0) {
                java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)")
                        .matcher(text.substring(0, headEnd));
                int body = length.find() ? Integer.parseInt(length.group(1)) : 0;
                if (read.size() >= headEnd + 4 + body) {
                    return text;
                }
            }
            int n = in.read(buffer);
            if (n < 0) {
                return read.toString(StandardCharsets.UTF_8);
            }
            read.write(buffer, 0, n);
        }
    }

    private static final String CHAT = "{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void routeIdIsTheEndpointIdAndItsNodesAreNamedForWhatTheyDoNotForTheSwappableSteps() throws Exception {
        start(List.of(step("first", Phase.OBSERVE, tracing("first")), step("second", Phase.TRANSFORM,
                tracing("second"))), answering(200, "application/json", "{}"));

        assertThat(camel.getRoute("chat")).isNotNull();
        List<String> ids = new ArrayList<>();
        for (ProcessorDefinition<?> node : camel.getCamelContextExtension().getContextPlugin(ModelCamelContext.class)
                .getRouteDefinition("chat").getOutputs()) {
            ids.add(node.getId());
        }
        // The steps are the endpoint's current pipeline, which a reload swaps; the route's nodes stay.
        assertThat(ids).containsSubsequence("chat.open", "chat.request", "chat.refused", "chat.approval-guard",
                "chat.respond"); // chat.agent is woven away by this test
    }

    @Test
    void aListenerServesItsConnectionsOnAsManyEventLoopsAsItsEventLoopsSays() throws Exception {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        GatewayProcessor threadNoting = new GatewayProcessor() {
            @Override
            public Outcome onRequest(GatewayExchange exchange) {
                threads.add(Thread.currentThread().getName());
                return Outcome.proceed();
            }
        };
        start(List.of(step("noting", Phase.OBSERVE, threadNoting)), answering(200, "application/json", "{}"), 2);

        // Netty hands new connections to its loops in turn: six connections meet every loop there is.
        List<java.net.Socket> connections = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                java.net.Socket socket = new java.net.Socket("127.0.0.1", port);
                connections.add(socket);
                socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Type: application/json\r\nContent-Length: " + CHAT.length() + "\r\n\r\n" + CHAT)
                        .getBytes(StandardCharsets.UTF_8));
                assertThat(readOneResponse(socket.getInputStream())).startsWith("HTTP/1.1 200");
            }
        } finally {
            for (java.net.Socket socket : connections) {
                socket.close();
            }
        }

        assertThat(threads).hasSize(2);
    }

    @Test
    void requestPhaseRunsInPipelineOrderAndResponsePhaseInReverse() throws Exception {
        start(List.of(step("first", Phase.OBSERVE, tracing("first")), step("second", Phase.TRANSFORM,
                tracing("second"))), answering(200, "application/json", "{\"ok\":true}"));

        HttpResponse<String> response = post("/v1/chat/completions", CHAT);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"ok\":true}");
        assertThat(response.headers().firstValue("X-Model")).contains("demo");
        assertThat(response.headers().firstValue("Gatehouse-Request-Id")).isPresent();
        assertThat(trail).containsExactly("first.request", "second.request", "second.response", "first.response",
                "second.complete:ANSWERED:200", "first.complete:ANSWERED:200", "completed:ANSWERED");
    }

    @Test
    void aDenialAnswersProblemJsonNamingTheRuleAndNeverReachesTheAgent() throws Exception {
        List<String> agentCalls = new CopyOnWriteArrayList<>();
        GatewayProcessor denying = new GatewayProcessor() {
            @Override
            public Outcome onRequest(GatewayExchange exchange) {
                return Outcome.deny(403, "Forbidden", "analysts may not use demo-large",
                        new DecidingRule("analysts", "chat-small", "model demo-large not allowed"));
            }
        };
        start(List.of(step("first", Phase.OBSERVE, tracing("first")), step("policy", Phase.AUTHORIZE, denying),
                step("third", Phase.TRANSFORM, tracing("third"))), exchange -> agentCalls.add("called"));

        HttpResponse<String> response = post("/v1/chat/completions", CHAT);

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        String requestId = response.headers().firstValue("Gatehouse-Request-Id").orElseThrow();
        assertThat(response.body())
                .contains("\"title\":\"Forbidden\"", "\"status\":403", "\"detail\":\"analysts may not use demo-large\"",
                        "\"requestId\":\"" + requestId + "\"", "\"policy\":\"analysts\"", "\"rule\":\"chat-small\"",
                        "\"reason\":\"model demo-large not allowed\"");
        assertThat(agentCalls).isEmpty();
        assertThat(trail).containsExactly("first.request", "first.complete:DENIED:403", "completed:DENIED");
    }

    @Test
    void aProcessorReturningNullIsNamedAndTheClientGetsA500Problem() throws Exception {
        GatewayProcessor broken = new GatewayProcessor() {
            @Override
            public Outcome onRequest(GatewayExchange exchange) {
                return null;
            }
        };
        start(List.of(step("broken", Phase.AUTHORIZE, broken)), answering(200, "application/json", "{}"));

        HttpResponse<String> response = post("/v1/chat/completions", CHAT);

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.body()).contains("\"title\":\"Internal gateway error\"",
                "a gateway processor failed; the request was not forwarded");
        assertThat(trail).containsExactly("completed:FAILED");
    }

    @Test
    void onlyAnAuthenticateStepMaySetTheIdentity() throws Exception {
        GatewayProcessor impostor = new GatewayProcessor() {
            @Override
            public Outcome onRequest(GatewayExchange exchange) {
                exchange.setIdentity(new Identity("mallory", "mallory", "self", null, Set.of("admins"), Set.of(),
                        null, List.of(), Instant.now(), null, Instant.now(), null, Map.of()));
                return Outcome.proceed();
            }
        };
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        GatewayProcessor authenticator = new GatewayProcessor() {
            @Override
            public Outcome onRequest(GatewayExchange exchange) {
                exchange.setIdentity(new Identity("alice", "alice", "test", null, Set.of("analysts"), Set.of(),
                        null, List.of(), Instant.now(), null, Instant.now(), null, Map.of()));
                return Outcome.proceed();
            }

            @Override
            public void onResponse(GatewayExchange exchange) {
                seen.add(exchange.identity().orElseThrow().subject());
            }
        };

        start(List.of(step("auth", Phase.AUTHENTICATE, authenticator)), answering(200, "application/json", "{}"));
        assertThat(post("/v1/chat/completions", CHAT).statusCode()).isEqualTo(200);
        assertThat(seen).containsExactly("alice");
        camel.stop();

        start(List.of(step("masking", Phase.TRANSFORM, impostor)), answering(200, "application/json", "{}"));
        HttpResponse<String> response = post("/v1/chat/completions", CHAT);
        assertThat(response.statusCode()).isEqualTo(500);
    }

    @Test
    void callerSetGatehouseHeadersAreDroppedBeforeAnyStepSeesThem() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        GatewayProcessor looking = new GatewayProcessor() {
            @Override
            public Outcome onRequest(GatewayExchange exchange) {
                seen.add(String.valueOf(exchange.request().headers().first("Gatehouse-Identity").orElse(null)));
                seen.add(String.valueOf(exchange.request().headers().first("Gatehouse-Request-Id").orElse(null)));
                seen.add(exchange.request().headers().first("X-Trace").orElse(null));
                return Outcome.proceed();
            }
        };
        start(List.of(step("look", Phase.OBSERVE, looking)), answering(200, "application/json", "{}"));

        post("/v1/chat/completions", CHAT, "Gatehouse-Identity", "forged", "Gatehouse-Request-Id", "forged-too",
                "X-Trace", "t-1");

        assertThat(seen).containsExactly("null", "null", "t-1");
    }

    @Test
    void theApprovalFlowsClientHeadersAloneReachTheStepsOfAllGatehouseHeaders() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        GatewayProcessor looking = new GatewayProcessor() {
            @Override
            public Outcome onRequest(GatewayExchange exchange) {
                exchange.request().headers().names().stream()
                        .filter(n -> n.toLowerCase(java.util.Locale.ROOT).startsWith("gatehouse-"))
                        .forEach(n -> seen.add(n + "=" + exchange.request().headers().first(n).orElse(null)));
                return Outcome.proceed();
            }
        };
        start(List.of(step("look", Phase.OBSERVE, looking)), answering(200, "application/json", "{}"));

        post("/v1/chat/completions", CHAT, "Gatehouse-Approval", "apr-1", "Gatehouse-Reason", "quarterly eval",
                "Gatehouse-Identity", "forged", "Gatehouse-Approval-Override", "forged");

        assertThat(seen).containsExactlyInAnyOrder("Gatehouse-Approval=apr-1", "Gatehouse-Reason=quarterly eval");
    }

    @Test
    void aPathOutsideEveryEndpointGetsA404Problem() throws Exception {
        start(List.of(), answering(200, "application/json", "{}"));

        HttpResponse<String> outside = post("/v2/anything", CHAT);
        HttpResponse<String> lookalike = post("/v1x/chat/completions", CHAT);

        assertThat(outside.statusCode()).isEqualTo(404);
        assertThat(outside.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(outside.body()).contains("no endpoint serves path '/v2/anything'");
        assertThat(lookalike.statusCode()).isEqualTo(404);
        assertThat(lookalike.body()).contains("no endpoint serves path '/v1x/chat/completions'");
    }

    @Test
    void aBodyOverTheListenersCapIsA413ProblemSayingWhatToDoAndNothingRuns() throws Exception {
        List<String> agentCalls = new java.util.concurrent.CopyOnWriteArrayList<>();
        start(List.of(step("first", Phase.OBSERVE, tracing("first"))), exchange -> agentCalls.add("called"));

        HttpResponse<String> response = post("/v1/chat/completions", "x".repeat(2 * 1024 * 1024));

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(response.headers().firstValue("Gatehouse-Request-Id")).isPresent();
        assertThat(response.body()).contains("\"detail\":\"the request body is over this gateway listener's cap of"
                + " 1048576 bytes (listeners.<name>.maxBodyBytes); send a smaller body\"");
        assertThat(trail).isEmpty();
        assertThat(agentCalls).isEmpty();
    }

    @Test
    void aClientStillSendingItsOversizedBodyAfterThe413IsNotResetWhileItSendsTheRest() throws Exception {
        start(List.of(step("first", Phase.OBSERVE, tracing("first"))), answering(200, "application/json", "{}"));

        // Without Expect, a client sends its body while the gateway has already answered 413. Had the gateway
        // closed the connection with body bytes unread, the kernel would reset it, and the client's next writes
        // (and often its read of the answer) would fail with "connection reset" instead of a reason.
        int size = 2 * 1024 * 1024; // announced over the cap (1 MiB): refused at once, then read and thrown away
        byte[] block = new byte[64 * 1024];
        java.util.Arrays.fill(block, (byte) 'x');
        String answer;
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            java.io.OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + size + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            int sent = 0;
            while (sent < 1024 * 1024 + block.length) {
                out.write(block);
                sent += block.length;
            }
            out.flush();
            answer = readOneResponse(socket.getInputStream());
            Thread.sleep(300); // the gateway has long closed by now, had it not lingered
            while (sent < size) {
                int n = Math.min(block.length, size - sent);
                out.write(block, 0, n);
                out.flush();
                sent += n;
                Thread.sleep(5);
            }
        }

        assertThat(answer).startsWith("HTTP/1.1 413 ").containsIgnoringCase("content-type: application/problem+json")
                .contains("cap of 1048576 bytes");
        assertThat(trail).isEmpty();
    }

    @Test
    void aClientAskingToContinueWithABodyOverTheCapGetsTheSameProblemBeforeSendingIt() throws Exception {
        start(List.of(step("first", Phase.OBSERVE, tracing("first"))), answering(200, "application/json", "{}"));

        // A raw client: it announces the size and waits for 100 Continue, as curl does for large bodies.
        String answer;
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + (2 * 1024 * 1024)
                    + "\r\nExpect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            answer = readOneResponse(socket.getInputStream());
        }

        assertThat(answer).startsWith("HTTP/1.1 413 ").containsIgnoringCase("content-type: application/problem+json")
                .contains("cap of 1048576 bytes");
        assertThat(trail).isEmpty();
    }

    @Test
    void malformedJsonIsA400ProblemThatOnlyObservingStepsSeeAndThatNeverReachesTheAgent() throws Exception {
        List<String> agentCalls = new java.util.concurrent.CopyOnWriteArrayList<>();
        start(List.of(step("first", Phase.OBSERVE, tracing("first")), step("policy", Phase.AUTHORIZE,
                tracing("policy"))), exchange -> agentCalls.add("called"));

        HttpResponse<String> response = post("/v1/chat/completions", "{\"model\": ");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("\"title\":\"Malformed request\"", "the request body is not valid JSON");
        assertThat(trail).containsExactly("first.request", "first.complete:DENIED:400", "completed:DENIED");
        assertThat(agentCalls).isEmpty();
    }

    @Test
    void aStreamedAnswerFlowsChunkByChunkThroughAttachedTransformers() throws Exception {
        GatewayProcessor upper = new GatewayProcessor() {
            @Override
            public void onResponse(GatewayExchange exchange) {
                exchange.response().orElseThrow().body().transform(new ChunkTransformer() {
                    @Override
                    public byte[] onChunk(byte[] chunk) {
                        return new String(chunk, StandardCharsets.UTF_8).toUpperCase()
                                .getBytes(StandardCharsets.UTF_8);
                    }
                });
            }
        };
        SubmissionPublisher<byte[]> upstream = new SubmissionPublisher<>();
        start(List.of(step("upper", Phase.TRANSFORM, upper)), exchange -> {
            AgentExchanges.setReply(exchange, new AgentReply(200,
                    Map.of("Content-Type", List.of("text/event-stream")), true, upstream));
        });

        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build();
        var pending = http.sendAsync(request, HttpResponse.BodyHandlers.ofLines());
        var response = pending.get(5, TimeUnit.SECONDS);
        List<String> lines = new CopyOnWriteArrayList<>();
        var reader = java.util.concurrent.CompletableFuture.runAsync(() -> response.body().forEach(lines::add));
        upstream.submit("data: one\n\n".getBytes(StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!lines.contains("DATA: ONE") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        // The first event reached the client while the model was still "generating".
        assertThat(lines).contains("DATA: ONE");
        assertThat(reader).isNotDone();
        upstream.submit("data: two\n\n".getBytes(StandardCharsets.UTF_8));
        upstream.close();
        reader.get(5, TimeUnit.SECONDS);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Transfer-Encoding")).contains("chunked");
        assertThat(lines).containsExactly("DATA: ONE", "", "DATA: TWO", "");
        long waited = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!trail.contains("completed:ANSWERED") && System.nanoTime() < waited) {
            Thread.sleep(10);
        }
        assertThat(trail).contains("completed:ANSWERED");
    }


    /** Sends {@code raw} on a new connection and reads until the gateway closes it (at most 5 s). */
    private String untilClosed(String raw) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(raw.getBytes(StandardCharsets.UTF_8));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String rawChat(String version, String extraHeaders) {
        return "POST /v1/chat/completions " + version + "\r\nHost: gw\r\n" + extraHeaders
                + "Content-Type: application/json\r\nContent-Length: " + CHAT.length() + "\r\n\r\n" + CHAT;
    }

    private void streamingTwoEvents() throws Exception {
        start(List.of(), exchange -> {
            SubmissionPublisher<byte[]> upstream = new SubmissionPublisher<>();
            AgentExchanges.setReply(exchange, new AgentReply(200,
                    Map.of("Content-Type", List.of("text/event-stream")), true, upstream));
            Executors.newSingleThreadScheduledExecutor().schedule(() -> {
                upstream.submit("data: one\n\n".getBytes(StandardCharsets.UTF_8));
                upstream.submit("data: two\n\n".getBytes(StandardCharsets.UTF_8));
                upstream.close();
            }, 20, TimeUnit.MILLISECONDS);
        });
    }

    @Test
    void aStreamAskedForWithConnectionCloseIsSentWholeAndTheConnectionClosedAfterItsLastChunk() throws Exception {
        streamingTwoEvents();

        String answer = untilClosed(rawChat("HTTP/1.1", "Connection: close\r\n"));

        assertThat(answer).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close")
                .containsIgnoringCase("transfer-encoding: chunked");
        assertThat(answer.substring(answer.indexOf("\r\n\r\n") + 4))
                .isEqualTo("b\r\ndata: one\n\n\r\nb\r\ndata: two\n\n\r\n0\r\n\r\n");
    }

    @Test
    void anHttp10ClientGetsAStreamUnchunkedEndedByTheClose() throws Exception {
        streamingTwoEvents();

        String answer = untilClosed(rawChat("HTTP/1.0", ""));

        assertThat(answer).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close")
                .doesNotContainIgnoringCase("transfer-encoding");
        assertThat(answer.substring(answer.indexOf("\r\n\r\n") + 4)).isEqualTo("data: one\n\ndata: two\n\n");
    }

    @Test
    void aFailingResponseEndHookWithholdsTheWholeAnswerAndAnswers503() throws Exception {
        GatewayProcessor failingEnd = new GatewayProcessor() {
            @Override
            public java.util.concurrent.CompletionStage<Void> onResponseEnd(GatewayExchange exchange) {
                return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("store down"));
            }
        };
        start(List.of(step("recording", Phase.OBSERVE, failingEnd)), answering(200, "application/json",
                "{\"secret\":\"model says\"}"));

        HttpResponse<String> response = post("/v1/chat/completions", CHAT);

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).contains("\"title\":\"Service unavailable\"",
                "the gateway could not complete the exchange safely, so the answer was withheld")
                .doesNotContain("model says");
    }

    @Test
    void theEndOfAStreamWaitsForEveryResponseEndHook() throws Exception {
        java.util.concurrent.CompletableFuture<Void> durable = new java.util.concurrent.CompletableFuture<>();
        GatewayProcessor slowEnd = new GatewayProcessor() {
            @Override
            public java.util.concurrent.CompletionStage<Void> onResponseEnd(GatewayExchange exchange) {
                trail.add("end-hook");
                return durable;
            }
        };
        SubmissionPublisher<byte[]> upstream = new SubmissionPublisher<>();
        start(List.of(step("recording", Phase.OBSERVE, slowEnd)), exchange -> {
            AgentExchanges.setReply(exchange, new AgentReply(200,
                    Map.of("Content-Type", List.of("text/event-stream")), true, upstream));
        });
        NotifyBuilder routeRan = new NotifyBuilder(camel).fromRoute("chat").whenDone(1).create();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build();
        var pending = http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        // The route subscribes to the model's stream before it ends, so once Camel has the exchange done the
        // stream has its subscriber (a SubmissionPublisher drops what it gets before that).
        assertThat(routeRan.matches(5, TimeUnit.SECONDS)).isTrue();
        assertThat(upstream.getNumberOfSubscribers()).isEqualTo(1);
        upstream.submit("data: one\n\n".getBytes(StandardCharsets.UTF_8));
        upstream.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!trail.contains("end-hook") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(trail).contains("end-hook");
        Thread.sleep(200);
        assertThat(pending).isNotDone();

        durable.complete(null);

        assertThat(pending.get(5, TimeUnit.SECONDS).body()).isEqualTo("data: one\n\n");
    }
}
