package io.gatehouse.gateway.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.agent.camel.AgentExchanges;
import io.gatehouse.agent.camel.AgentReply;
import io.gatehouse.config.EndpointConfig;
import io.gatehouse.config.ListenerConfig;
import io.gatehouse.config.TargetConfig;
import io.gatehouse.engine.Step;
import io.gatehouse.gateway.protocol.OpenAiAdapter;
import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ChunkTransformer;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.StreamResult;
import io.gatehouse.testkit.TestExchange;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * "The testkit behaves as the gateway" holds by construction — both run the pipeline engine — and
 * this pins it: one processor scenario, run through {@link ProcessorHarness} and through a real
 * endpoint route with a real listener, gives the same body, the same denial and the same contract
 * message.
 */
class TestkitParityTest {

    private static final List<byte[]> CHUNKS = List.of(utf8("data: my sec"), utf8("ret is out\n\n"));

    /** The scenario: a masking-like step that holds a split value back, and refuses or breaks on request. */
    record ScenarioConfig() {
    }

    static final class ScenarioFactory implements ProcessorFactory<ScenarioConfig> {
        @Override
        public String id() {
            return "scenario";
        }

        @Override
        public Class<ScenarioConfig> configType() {
            return ScenarioConfig.class;
        }

        @Override
        public Phase phase() {
            return Phase.TRANSFORM;
        }

        @Override
        public GatewayProcessor create(ScenarioConfig config, EndpointContext endpoint) {
            return new GatewayProcessor() {
                @Override
                public CompletionStage<Outcome> onRequestAsync(GatewayExchange exchange) {
                    String body = new String(exchange.request().body(), StandardCharsets.UTF_8);
                    if (body.contains("break")) {
                        return null;
                    }
                    if (body.contains("refuse")) {
                        return CompletableFuture.completedFuture(Outcome.deny(403, "Refused", "the scenario refuses",
                                new DecidingRule("scenario", "refuse", "asked to")));
                    }
                    return CompletableFuture.completedFuture(Outcome.proceed());
                }

                @Override
                public void onResponse(GatewayExchange exchange) {
                    exchange.response().orElseThrow().body().transform(new ChunkTransformer() {
                        private final StringBuilder held = new StringBuilder();

                        @Override
                        public byte[] onChunk(byte[] chunk) {
                            held.append(new String(chunk, StandardCharsets.UTF_8));
                            int cut = held.lastIndexOf(" ");
                            if (cut < 0) {
                                return EMPTY;
                            }
                            String out = held.substring(0, cut + 1);
                            held.delete(0, cut + 1);
                            return utf8(out.replace("secret", "[masked]"));
                        }

                        @Override
                        public byte[] onEnd() {
                            return utf8(held.toString().replace("secret", "[masked]"));
                        }
                    });
                }
            };
        }
    }

    private final List<String> completions = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private DefaultCamelContext camel;
    private NotifyBuilder routeRan;
    private int port;

    @AfterEach
    void stop() {
        if (camel != null) {
            camel.stop();
        }
    }

    @Test
    void aValueSplitAcrossChunksIsMaskedTheSameByTheTestkitAndByARealRoute() throws Exception {
        StreamResult viaTestkit;
        try (var harness = ProcessorHarness.of(new ScenarioFactory(), new ScenarioConfig())) {
            viaTestkit = harness.respondStream(TestExchange.post("/v1/chat/completions").body("{}").build(), 200,
                    new Headers(), CHUNKS);
        }
        start();

        HttpResponse<String> viaRoute = post("{\"model\":\"m\",\"messages\":[]}");

        assertThat(viaRoute.statusCode()).isEqualTo(200);
        assertThat(viaRoute.body()).isEqualTo(viaTestkit.text()).isEqualTo("data: my [masked] is out\n\n");
    }

    @Test
    void aDenialIsTheSameOutcomeThroughTheTestkitAndARealRoute() throws Exception {
        Outcome viaTestkit;
        try (var harness = ProcessorHarness.of(new ScenarioFactory(), new ScenarioConfig())) {
            viaTestkit = harness.request(TestExchange.post("/v1/chat/completions").body("refuse").build());
        }
        start();

        HttpResponse<String> viaRoute = post("{\"model\":\"m\",\"messages\":[],\"user\":\"refuse\"}");

        assertThat(viaTestkit).isInstanceOfSatisfying(Outcome.Deny.class, d -> {
            assertThat(viaRoute.statusCode()).isEqualTo(d.status());
            assertThat(viaRoute.body()).contains("\"rule\":\"" + d.rule().rule() + "\"", "\"detail\":\"" + d.detail() + "\"");
        });
        assertThat(completions).containsExactly("DENIED");
    }

    @Test
    void aBrokenContractIsNamedWithTheSameMessageByTheTestkitAndByARealRoute() throws Exception {
        String viaTestkit;
        try (var harness = ProcessorHarness.of(new ScenarioFactory(), new ScenarioConfig())) {
            assertThatThrownBy(() -> harness.request(TestExchange.post("/v1/chat/completions").body("break").build()))
                    .isInstanceOf(IllegalStateException.class);
            try {
                harness.request(TestExchange.post("/v1/chat/completions").body("break").build());
                viaTestkit = null;
            } catch (IllegalStateException e) {
                viaTestkit = e.getMessage();
            }
        }
        start();

        HttpResponse<String> viaRoute = post("{\"model\":\"m\",\"messages\":[],\"user\":\"break\"}");

        assertThat(viaRoute.statusCode()).isEqualTo(500);
        assertThat(viaTestkit).isEqualTo("processor 'scenario' on endpoint 'test' returned null from onRequestAsync");
        assertThat(completions).containsExactly("FAILED:processor 'scenario' on endpoint 'chat' returned null from onRequestAsync");
    }

    private void start() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ListenerConfig listener = new ListenerConfig("127.0.0.1", port, ByteSize.parse("1MiB"), ByteSize.parse("16KiB"));
        EndpointConfig endpoint = new EndpointConfig("chat", "http", "/v1", "openai",
                new TargetConfig("local", "demo-model"), List.of(), "endpoints/chat.yaml");
        GatewayProcessor processor = new ScenarioFactory().create(new ScenarioConfig(), null);
        Step step = new Step("scenario", "chat.scenario", "chat", Phase.TRANSFORM, processor);
        camel = new DefaultCamelContext();
        camel.addRoutes(new EndpointRoutes(List.of(new EndpointRoutes.Plan(endpoint, listener, new OpenAiAdapter(),
                List.of(step))), Map.of("http", listener), 1 << 20, done -> completions.add(done.completion().kind()
                + (done.completion().error() == null ? "" : ":" + done.completion().error()))));
        AdviceWith.adviceWith(camel, "chat", a -> a.weaveById("chat.agent").replace().process(exchange -> {
            SubmissionPublisher<byte[]> upstream = new SubmissionPublisher<>();
            AgentExchanges.setReply(exchange, new AgentReply(200, Map.of("Content-Type", List.of("text/event-stream")),
                    true, upstream));
            new Thread(() -> {
                // The route subscribes to this stream before it ends: once the exchange is done, nothing
                // submitted is dropped (and if the route never ends, the stream ends empty after 5 s).
                if (routeRan.matches(5, TimeUnit.SECONDS)) {
                    CHUNKS.forEach(upstream::submit);
                }
                upstream.close();
            }).start();
        }));
        camel.start();
        routeRan = new NotifyBuilder(camel).fromRoute("chat").whenDone(1).create();
    }

    private HttpResponse<String> post(String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
