package io.gatehouse.testkit;

import static io.gatehouse.testkit.Steps.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.AttributeKey;
import io.gatehouse.spi.ChunkObserver;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ResponseBody;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResponsePhaseTest {

    private static final AttributeKey<ResponseBody> BODY = AttributeKey.of("test.body", ResponseBody.class);
    private static final AttributeKey<String> WHOLE = AttributeKey.of("test.whole", String.class);

    /** Records what it is handed, as a recording processor would. */
    static final class Recorder implements ChunkObserver {
        final List<String> chunks = new ArrayList<>();
        final List<Throwable> ends = new ArrayList<>();
        int endCalls;

        @Override
        public void onChunk(byte[] chunk) {
            chunks.add(new String(chunk, StandardCharsets.UTF_8));
        }

        @Override
        public void onEnd(Throwable error) {
            endCalls++;
            if (error != null) {
                ends.add(error);
            }
        }
    }

    private static ProcessorHarness<Steps.NoConfig> harness(String id, GatewayProcessor processor) {
        return ProcessorHarness.of(Steps.factory(id, Phase.TRANSFORM, processor), new Steps.NoConfig());
    }

    private static List<byte[]> chunks(String... texts) {
        return java.util.Arrays.stream(texts).map(Steps::utf8).toList();
    }

    @Test
    void streamTransformerThatHoldsBackBytesIsFlushedAtTheEndAndHeldBackResultsAreNotChunks() {
        GatewayProcessor redact = new GatewayProcessor() {
            @Override
            public void onResponse(GatewayExchange exchange) {
                exchange.response().orElseThrow().body().transform(new Steps.Redactor());
            }
        };
        try (var harness = harness("redact", redact)) {
            StreamResult result = harness.respondStream(TestExchange.post("/v1/chat/completions").build(), 200,
                    new Headers(), chunks("my", " sec", "ret is x", "yz"));

            assertThat(result.texts()).containsExactly("m", "y ******", " i", "s xyz");
            assertThat(result.text()).isEqualTo("my ****** is xyz");
            assertThat(result.error()).isEmpty();
            assertThat(result.observed()).isEmpty();
        }
    }

    @Test
    void observerSeesTheTransformedBytesExactlyAsTheClientReceivesThem() {
        Recorder recorder = new Recorder();
        GatewayProcessor upperAndRecord = new GatewayProcessor() {
            @Override
            public void onResponse(GatewayExchange exchange) {
                ResponseBody body = exchange.response().orElseThrow().body();
                body.observe(recorder);
                body.transform(Steps.UPPER_CASE);
            }
        };
        try (var harness = harness("upper", upperAndRecord)) {
            StreamResult result = harness.respondStream(TestExchange.post("/v1/chat/completions").build(), 200,
                    new Headers(), chunks("data: a\n\n", "data: b\n\n"));

            assertThat(recorder.chunks).containsExactly("DATA: A\n\n", "DATA: B\n\n");
            assertThat(result.texts()).containsExactlyElementsOf(recorder.chunks);
            assertThat(result.observed()).map(c -> new String(c, StandardCharsets.UTF_8))
                    .containsExactlyElementsOf(recorder.chunks);
            assertThat(recorder.endCalls).isEqualTo(1);
            assertThat(recorder.ends).isEmpty();
        }
    }

    @Test
    void transformersRunInAttachOrderAndWhatOneFlushesPassesThroughTheLaterOnes() {
        GatewayProcessor redactThenUpper = new GatewayProcessor() {
            @Override
            public void onResponse(GatewayExchange exchange) {
                ResponseBody body = exchange.response().orElseThrow().body();
                body.transform(new Steps.Redactor());
                body.transform(Steps.UPPER_CASE);
            }
        };
        try (var harness = harness("both", redactThenUpper)) {
            StreamResult result = harness.respondStream(TestExchange.post("/v1/completions").build(), 200,
                    new Headers(), chunks("my", " sec", "ret is x", "yz"));

            assertThat(result.texts()).containsExactly("M", "Y ******", " I", "S XYZ");
        }
    }

    @Test
    void aWholeBodyIsVisibleUntilTransformedAndRunsThroughTheTransformersAsOneChunk() {
        GatewayProcessor readThenRedact = new GatewayProcessor() {
            @Override
            public void onResponse(GatewayExchange exchange) {
                ResponseBody body = exchange.response().orElseThrow().body();
                exchange.attributes().put(WHOLE, new String(body.whole().orElseThrow(), StandardCharsets.UTF_8));
                body.transform(new Steps.Redactor());
                exchange.attributes().put(BODY, body);
            }
        };
        try (var harness = harness("whole", readThenRedact)) {
            TestExchange exchange = TestExchange.post("/v1/completions").build();

            byte[] sent = harness.respond(exchange, 200, new Headers(), utf8("my secret is x"));

            assertThat(new String(sent, StandardCharsets.UTF_8)).isEqualTo("my ****** is x");
            assertThat(exchange.attributes().get(WHOLE)).contains("my secret is x");
            assertThat(exchange.attributes().get(BODY).orElseThrow().whole()).isEmpty();
            assertThat(exchange.attributes().get(BODY).orElseThrow().streamed()).isFalse();
        }
    }

    @Test
    void aTransformerThatThrowsCutsTheStreamAndTheObserversSeeWhy() {
        Recorder recorder = new Recorder();
        GatewayProcessor failing = new GatewayProcessor() {
            @Override
            public void onResponse(GatewayExchange exchange) {
                ResponseBody body = exchange.response().orElseThrow().body();
                body.transform(chunk -> {
                    if (new String(chunk, StandardCharsets.UTF_8).contains("boom")) {
                        throw new IllegalArgumentException("boom rejected");
                    }
                    return chunk;
                });
                body.observe(recorder);
            }
        };
        try (var harness = harness("failing", failing)) {
            StreamResult result = harness.respondStream(TestExchange.post("/v1/completions").build(), 200,
                    new Headers(), chunks("a", "boom", "c"));

            assertThat(result.texts()).containsExactly("a");
            assertThat(result.error()).get().extracting(Throwable::getMessage).isEqualTo("boom rejected");
            assertThat(recorder.chunks).containsExactly("a");
            assertThat(recorder.ends).containsExactly(result.error().orElseThrow());
        }
    }

    @Test
    void aTransformerAttachedAfterOnResponseReturnedIsRefusedAndTheProcessorNamed() {
        GatewayProcessor late = new GatewayProcessor() {
            @Override
            public void onResponse(GatewayExchange exchange) {
                exchange.attributes().put(BODY, exchange.response().orElseThrow().body());
            }
        };
        try (var harness = harness("late", late)) {
            TestExchange exchange = TestExchange.get("/v1/models").build();
            harness.respond(exchange, 200, new Headers(), utf8("{}"));

            ResponseBody body = exchange.attributes().get(BODY).orElseThrow();
            assertThatThrownBy(() -> body.transform(Steps.UPPER_CASE))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("processor 'late' on endpoint 'test' attached a transformer after onResponse returned:"
                            + " attach transformers and observers in onResponse");
        }
    }

    @Test
    void aTransformerThatReturnsNullIsAContractViolationNamingTheProcessor() {
        GatewayProcessor nulls = new GatewayProcessor() {
            @Override
            public void onResponse(GatewayExchange exchange) {
                exchange.response().orElseThrow().body().transform(chunk -> null);
            }
        };
        try (var harness = harness("nulls", nulls)) {
            assertThatThrownBy(() -> harness.respond(TestExchange.get("/").build(), 200, new Headers(), utf8("x")))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("a transformer of processor 'nulls' on endpoint 'test' returned null from onChunk:"
                            + " return ChunkTransformer.EMPTY to hold bytes back");
        }
    }

    @Test
    void theProcessorCanRewriteTheResponseHeadAndTheTestReadsItFromTheExchange() {
        GatewayProcessor stamp = new GatewayProcessor() {
            @Override
            public void onResponse(GatewayExchange exchange) {
                exchange.response().orElseThrow().headers().set("X-Seen", "yes");
                exchange.response().orElseThrow().setStatus(299);
            }
        };
        try (var harness = harness("stamp", stamp)) {
            TestExchange exchange = TestExchange.get("/").build();
            harness.respond(exchange, 200, new Headers().add("Content-Type", "text/plain"), utf8("x"));

            assertThat(exchange.response().orElseThrow().status()).isEqualTo(299);
            assertThat(exchange.response().orElseThrow().headers().toMap())
                    .containsExactly(java.util.Map.entry("Content-Type", List.of("text/plain")),
                            java.util.Map.entry("X-Seen", List.of("yes")));
        }
    }

    @Test
    void anExchangeGetsOneResponseOnly() {
        try (var harness = harness("plain", new GatewayProcessor() {
        })) {
            TestExchange exchange = TestExchange.get("/").build();
            harness.respond(exchange, 200, new Headers(), utf8("x"));

            assertThatThrownBy(() -> harness.respond(exchange, 200, new Headers(), utf8("x")))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("this exchange already has a response: build a new TestExchange for processor 'plain'"
                            + " on endpoint 'test'");
        }
    }
}
