package io.gatehouse.plugins.headerstamp;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.spi.GatewayResponse;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.StreamResult;
import io.gatehouse.testkit.TestExchange;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HeaderStampProcessorTest {

    private final ProcessorHarness<HeaderStampConfig> harness =
            ProcessorHarness.of(new HeaderStampProcessorFactory(), new HeaderStampConfig("X-Served-By", "gatehouse"));

    @AfterEach
    void close() {
        harness.close();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theHeaderIsAddedToTheResponseAndTheBodyIsUntouched() {
        TestExchange exchange = TestExchange.post("/v1/chat/completions").body("{}").build();

        byte[] body = harness.respond(exchange, 200, new Headers().add("Content-Type", "application/json"),
                utf8("{\"id\":\"1\"}"));

        GatewayResponse response = exchange.response().orElseThrow();
        assertThat(response.headers().toMap()).containsExactly(
                Map.entry("Content-Type", List.of("application/json")), Map.entry("X-Served-By", List.of("gatehouse")));
        assertThat(response.status()).isEqualTo(200);
        assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"1\"}");
    }

    @Test
    void aValueFromTheModelServerIsReplacedNotDoubled() {
        TestExchange exchange = TestExchange.get("/v1/models").build();

        harness.respond(exchange, 200, new Headers().add("x-served-by", "vllm").add("x-served-by", "proxy"), utf8("{}"));

        assertThat(exchange.response().orElseThrow().headers().all("X-Served-By")).containsExactly("gatehouse");
    }

    @Test
    void aStreamedResponseIsStampedAndItsChunksPassUnchanged() {
        TestExchange exchange = TestExchange.post("/v1/chat/completions").build();

        StreamResult result = harness.respondStream(exchange, 200, new Headers(),
                List.of(utf8("data: {\"a\":1}\n\n"), utf8("data: [DONE]\n\n")));

        assertThat(result.texts()).containsExactly("data: {\"a\":1}\n\n", "data: [DONE]\n\n");
        assertThat(exchange.response().orElseThrow().headers().first("x-served-by")).contains("gatehouse");
    }

    @Test
    void theRequestPhaseLetsEveryRequestThroughUnchanged() {
        TestExchange exchange = TestExchange.post("/v1/completions").header("Accept", "*/*").body("{}").build();

        assertThat(harness.request(exchange)).isSameAs(Outcome.proceed());
        assertThat(exchange.request().headers().names()).containsExactly("Accept");
    }

    @Test
    void theFactoryIsHeaderStampInTheTransformPhaseAndIsFoundByServiceLoader() {
        assertThat(harness.factory().id()).isEqualTo("header-stamp");
        assertThat(harness.factory().phase()).isEqualTo(Phase.TRANSFORM);
        assertThat(ServiceLoader.load(ProcessorFactory.class).stream().map(p -> p.get().id()))
                .containsExactly("header-stamp");
    }

    @Test
    void theProcessorShowsItsConfig() {
        assertThat(harness.processor()).hasToString("header-stamp[X-Served-By: gatehouse]");
    }
}
