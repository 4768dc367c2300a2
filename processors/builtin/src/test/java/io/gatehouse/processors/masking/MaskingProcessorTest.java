package io.gatehouse.processors.masking;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.processors.support.ParsedAnswer;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Outcome;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.StreamResult;
import io.gatehouse.testkit.TestExchange;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The masking step as the gateway runs it: whole and streamed answers, prompts, exemptions, refusals. */
class MaskingProcessorTest {

    private static final MaskingProcessorFactory FACTORY = new MaskingProcessorFactory();

    private static MaskingConfig config(Boolean request, Set<String> exempt) {
        return new MaskingConfig(request, null, null, null, null, null, null, null, null, null, null, exempt);
    }

    private static ProcessorHarness<MaskingConfig> harness(MaskingConfig config) {
        return ProcessorHarness.builder(FACTORY, config).protocol("openai").build();
    }

    private static Headers headers(String contentType) {
        return new Headers().set("Content-Type", contentType);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Identity caller(String... groups) {
        return new Identity("u1", "alice", "https://issuer", null, Set.of(groups), Set.of(), null, List.of(), null,
                null, Instant.parse("2030-01-01T00:00:00Z"), null, Map.of());
    }

    @Test
    void aWholeJsonAnswerIsMaskedAndCarriesTheCountInAHeaderAndTheReport() {
        try (ProcessorHarness<MaskingConfig> h = harness(MaskingConfig.defaults())) {
            TestExchange exchange = TestExchange.post("/v1/chat/completions").build();
            byte[] out = h.respond(exchange, 200, headers("application/json"), utf8("{\"choices\":[{\"index\":0,"
                    + "\"message\":{\"role\":\"assistant\",\"content\":\"bob@example.com, 4111 1111 1111 1111\"}}]}"));
            assertThat(new String(out, StandardCharsets.UTF_8)).isEqualTo("{\"choices\":[{\"index\":0,\"message\":"
                    + "{\"role\":\"assistant\",\"content\":\"[EMAIL], [CREDIT_CARD]\"}}]}");
            assertThat(exchange.response().orElseThrow().headers().first("Gatehouse-Masked")).contains("2");
            assertThat(exchange.attributes().get(MaskingProcessor.REPORT)).contains(
                    new MaskingReport(Map.of(), Map.of("credit-card", 1, "email", 1), false));
        }
    }

    @Test
    void aWholeJsonAnswerIsHandedOnWithTheTreeOfTheBytesMaskingEmits() throws Exception {
        try (ProcessorHarness<MaskingConfig> h = harness(MaskingConfig.defaults())) {
            TestExchange exchange = TestExchange.post("/v1/chat/completions").build();
            byte[] out = h.respond(exchange, 200, headers("application/json"),
                    utf8("{\"content\":\"bob@example.com\",\"score\":0.10,\"usage\":{\"total_tokens\":7}}"));

            com.fasterxml.jackson.databind.JsonNode tree = ParsedAnswer.existing(exchange.attributes()).take(out);

            assertThat(tree).isNotNull();
            assertThat(Json.write(tree)).isEqualTo(out);
            assertThat(tree.path("content").asText()).isEqualTo("[EMAIL]");
            assertThat(ParsedAnswer.existing(exchange.attributes()).take(out)).as("taken once").isNull();
        }
    }

    @Test
    void theRecordingReadsRequestAndResponseCountsAddedUpUnderMaskingCounts() {
        try (ProcessorHarness<MaskingConfig> h = harness(config(true, null))) {
            TestExchange exchange = TestExchange.post("/v1/chat/completions").header("Content-Type", "application/json")
                    .body("{\"messages\":[{\"role\":\"user\",\"content\":\"bob@example.com\"}]}").build();
            h.request(exchange);
            h.respond(exchange, 200, headers("application/json"), utf8("{\"a\":\"amy@example.com 10.0.0.1\"}"));
            assertThat(exchange.attributes().get(io.gatehouse.spi.AttributeKey.of("masking.counts", Map.class)))
                    .contains(Map.of("email", 2, "ip-address", 1));
        }
    }

    @Test
    void anAnswerWithNothingToMaskPassesUnchangedWithACountOfZero() {
        try (ProcessorHarness<MaskingConfig> h = harness(MaskingConfig.defaults())) {
            TestExchange exchange = TestExchange.post("/v1/chat/completions").build();
            byte[] body = utf8("{ \"content\" : \"nothing here\" }");
            assertThat(h.respond(exchange, 200, headers("application/json"), body)).isEqualTo(body);
            assertThat(exchange.response().orElseThrow().headers().first("Gatehouse-Masked")).contains("0");
        }
    }

    @Test
    void aStreamedAnswerIsMaskedChunkByChunkReportsItsCountOnlyInTheReportAndHasNoHeader() {
        try (ProcessorHarness<MaskingConfig> h = harness(MaskingConfig.defaults())) {
            TestExchange exchange = TestExchange.post("/v1/chat/completions").build();
            StreamResult result = h.respondStream(exchange, 200, headers("text/event-stream"), List.of(
                    utf8("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"call +1 415\"}}]}\n\n"),
                    utf8("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"-555-2671 now\"},"),
                    utf8("\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")));
            assertThat(result.error()).isEmpty();
            assertThat(result.text()).isEqualTo("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"call \"}}]}"
                    + "\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"[PHONE] now\"},"
                    + "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
            assertThat(exchange.response().orElseThrow().headers().contains("Gatehouse-Masked")).isFalse();
            assertThat(exchange.attributes().get(MaskingProcessor.REPORT).orElseThrow().response())
                    .isEqualTo(Map.of("phone", 1));
        }
    }

    @Test
    void aMalformedEventEndsTheStreamWithNothingUnmaskedPassedOn() {
        try (ProcessorHarness<MaskingConfig> h = harness(MaskingConfig.defaults())) {
            StreamResult result = h.respondStream(TestExchange.post("/v1/chat/completions").build(), 200,
                    headers("text/event-stream"), List.of(utf8("data: {\"choices\":[]}\n\n"),
                            utf8("data: {\"choices\": [bob@example.com\n\n")));
            assertThat(result.error()).get().extracting(Throwable::getMessage)
                    .isEqualTo("SSE event 2's data is not valid JSON (line 1, column 14)");
            assertThat(result.text()).isEqualTo("data: {\"choices\":[]}\n\n");
        }
    }

    @Test
    void aCompressedAnswerIsRefusedRatherThanPassedOnUnread() {
        try (ProcessorHarness<MaskingConfig> h = harness(MaskingConfig.defaults())) {
            StreamResult result = h.respondStream(TestExchange.post("/v1/chat/completions").build(), 200,
                    headers("text/event-stream").set("Content-Encoding", "gzip"), List.of(new byte[] {31, -117, 8}));
            assertThat(result.error()).get().extracting(Throwable::getMessage)
                    .isEqualTo("the response is gzip-encoded; masking reads only uncompressed bodies");
            assertThat(result.chunks()).isEmpty();
        }
    }

    @Test
    void binaryAnswersPassUntouched() {
        try (ProcessorHarness<MaskingConfig> h = harness(MaskingConfig.defaults())) {
            byte[] png = {(byte) 0x89, 'P', 'N', 'G', '4', '1', '1', '1'};
            assertThat(h.respond(TestExchange.get("/v1/files/x").build(), 200, headers("image/png"), png))
                    .isEqualTo(png);
        }
    }

    @Test
    void aPlainTextStreamIsMaskedEvenWhenACharacterIsSplitBetweenChunks() {
        try (ProcessorHarness<MaskingConfig> h = harness(MaskingConfig.defaults())) {
            byte[] text = utf8("Grüße an bob@example.com ✓");
            StreamResult result = h.respondStream(TestExchange.get("/x").build(), 200,
                    headers("text/plain; charset=utf-8"), List.of(java.util.Arrays.copyOfRange(text, 0, 3),
                            java.util.Arrays.copyOfRange(text, 3, 20), java.util.Arrays.copyOfRange(text, 20, text.length - 1),
                            java.util.Arrays.copyOfRange(text, text.length - 1, text.length)));
            assertThat(result.text()).isEqualTo("Grüße an [EMAIL] ✓");
        }
    }

    @Test
    void withRequestMaskingThePromptIsMaskedBeforeTheModelSeesIt() {
        try (ProcessorHarness<MaskingConfig> h = harness(config(true, null))) {
            TestExchange exchange = TestExchange.post("/v1/chat/completions").header("Content-Type", "application/json")
                    .header("Content-Length", "99").body("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                            + "\"content\":\"my IBAN is DE89370400440532013000\"}]}").build();
            assertThat(h.request(exchange)).isEqualTo(Outcome.proceed());
            assertThat(exchange.bodyText()).isEqualTo("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"my IBAN is [IBAN]\"}]}");
            assertThat(exchange.request().headers().first("Content-Length"))
                    .contains(Integer.toString(exchange.request().body().length));
            assertThat(exchange.attributes().get(MaskingProcessor.REPORT).orElseThrow().request())
                    .isEqualTo(Map.of("iban", 1));
        }
    }

    @Test
    void aPromptThatIsNotJsonIsRefusedWith400() {
        try (ProcessorHarness<MaskingConfig> h = harness(config(true, null))) {
            Outcome outcome = h.request(TestExchange.post("/v1/chat/completions")
                    .header("Content-Type", "application/json").body("{\"messages\": oops}").build());
            assertThat(outcome).isInstanceOfSatisfying(Outcome.Deny.class, deny -> {
                assertThat(deny.status()).isEqualTo(400);
                assertThat(deny.title()).isEqualTo("Request cannot be masked");
                assertThat(deny.detail()).isEqualTo("the request body is not valid JSON (line 1, column 14).");
                assertThat(deny.rule().rule()).isEqualTo("request-body");
            });
        }
    }

    @Test
    void callersInAnExemptGroupGetUnmaskedAnswersAndTheReportSaysSo() {
        try (ProcessorHarness<MaskingConfig> h = harness(config(true, Set.of("pii-readers")))) {
            byte[] body = utf8("{\"content\":\"bob@example.com\"}");
            TestExchange reader = TestExchange.post("/v1/chat/completions").identity(caller("pii-readers")).build();
            assertThat(h.respond(reader, 200, headers("application/json"), body)).isEqualTo(body);
            assertThat(reader.attributes().get(MaskingProcessor.REPORT)).contains(MaskingReport.EXEMPT);
            TestExchange other = TestExchange.post("/v1/chat/completions").identity(caller("analysts")).build();
            assertThat(new String(h.respond(other, 200, headers("application/json"), body), StandardCharsets.UTF_8))
                    .isEqualTo("{\"content\":\"[EMAIL]\"}");
        }
    }

    @Test
    void theEndpointsProtocolChoosesTheBodyShapeUnlessConfigNamesOne() {
        MaskingConfig ollama = new MaskingConfig(null, null, MaskingProtocol.OLLAMA, null, null, null, null, null,
                null, null, null, null);
        assertThat(MaskingProcessorFactory.protocol(MaskingConfig.defaults(), "openai")).isEqualTo(MaskingProtocol.OPENAI);
        assertThat(MaskingProcessorFactory.protocol(MaskingConfig.defaults(), "raw")).isEqualTo(MaskingProtocol.GENERIC);
        assertThat(MaskingProcessorFactory.protocol(ollama, "raw")).isEqualTo(MaskingProtocol.OLLAMA);
    }
}
