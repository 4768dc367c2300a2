package io.gatehouse.processors.recording;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.processors.support.MaskedAnswer;
import io.gatehouse.processors.masking.MaskingConfig;
import io.gatehouse.processors.masking.MaskingProcessorFactory;
import io.gatehouse.processors.masking.Strategy;
import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import io.gatehouse.spi.Outcome;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.StreamResult;
import io.gatehouse.testkit.TestExchange;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code recording.masking}: what the record stores is masked, whatever the client got. */
class RecordingMaskingTest {

    private static final String EMAIL = "bob.smith@example.com";
    private static final String CARD = "4111 1111 1111 1111";
    private static final Operation CHAT = new Operation("openai", OperationKind.CHAT, "demo-small", false, 1,
            OptionalInt.empty());

    @TempDir
    Path temp;

    private AuditFixture audit;

    @BeforeEach
    void open() throws Exception {
        audit = new AuditFixture(temp);
    }

    @AfterEach
    void close() {
        audit.close();
    }

    private static RecordingConfig masking(RecordingMaskingConfig masking) {
        return new RecordingConfig(null, null, null, null, masking);
    }

    private ProcessorHarness<RecordingConfig> harness(RecordingConfig config) {
        return ProcessorHarness.builder(new RecordingProcessorFactory(), config).endpointId("chat").protocol("openai")
                .services(audit.services()).build();
    }

    private static TestExchange.Builder chat(String id) {
        return TestExchange.post("/v1/chat/completions").endpointId("chat").requestId(id).operation(CHAT)
                .header("Content-Type", "application/json");
    }

    private static Identity caller(String... groups) {
        return new Identity("sub-pia", "pia", "https://idp.example/realms/ml", "cli", Set.of(groups), Set.of(), null,
                List.of(), null, null, Instant.parse("2026-01-01T01:00:00Z"), "sid-9", Map.of());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String answer(String content) {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"demo-small\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"" + content + "\"},\"finish_reason\":\"stop\"}]}";
    }

    private static String delta(String content, String finish) {
        return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
                + "{\"content\":\"" + content + "\"},\"finish_reason\":" + (finish == null ? "null" : "\"" + finish + "\"")
                + "}]}\n\n";
    }

    private JsonNode end(String id) throws Exception {
        List<AuditFixture.Row> rows = audit.rows(id);
        assertThat(rows).extracting(AuditFixture.Row::type).containsExactly("start", "end");
        return rows.get(1).payload();
    }

    private static String storedChunks(JsonNode body) {
        StringBuilder all = new StringBuilder();
        body.get("chunks").forEach(c -> all.append(c.get("text").asText()));
        return all.toString();
    }

    @Test
    void aPromptWithAnEmailAndACardIsStoredMaskedWhileTheModelGetsItAsItCame() throws Exception {
        try (var harness = harness(masking(RecordingMaskingConfig.defaults()))) {
            String prompt = "{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":\"mail " + EMAIL
                    + ", card " + CARD + "\"}]}";
            TestExchange exchange = chat("m-prompt").body(prompt).build();

            Outcome outcome = harness.request(exchange);
            harness.respond(exchange, 200, new Headers().add("Content-Type", "application/json"), bytes(answer("ok")));
            harness.responseEnd(exchange);

            assertThat(outcome).isSameAs(Outcome.proceed());
            assertThat(exchange.bodyText()).isEqualTo(prompt);
            JsonNode body = audit.rows("m-prompt").get(0).payload().at("/request/body");
            assertThat(body.get("text").asText()).isEqualTo("{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"mail [EMAIL], card [CREDIT_CARD]\"}]}");
            assertThat(body.get("size").asInt()).isEqualTo(prompt.length());
            assertThat(body.get("truncated").asBoolean()).isFalse();
            assertThat(end("m-prompt").get("storedMasking").toString())
                    .isEqualTo("{\"request\":{\"credit-card\":1,\"email\":1},\"response\":{}}");
            assertThat(audit.everything()).doesNotContain(EMAIL, "bob.smith", CARD, "1111");
        }
    }

    @Test
    void aTextPromptIsStoredMaskedAsTextAndABinaryOneAsItIs() throws Exception {
        try (var harness = harness(masking(RecordingMaskingConfig.defaults()))) {
            harness.request(TestExchange.post("/v1/notes").requestId("m-text").header("Content-Type", "text/plain")
                    .body("write to " + EMAIL).build());
            harness.request(TestExchange.post("/v1/blob").requestId("m-binary")
                    .header("Content-Type", "application/octet-stream").body(new byte[] {(byte) 0xff, 0x00}).build());

            assertThat(audit.rows("m-text").get(0).payload().at("/request/body/text").asText())
                    .isEqualTo("write to [EMAIL]");
            assertThat(audit.rows("m-binary").get(0).payload().at("/request/body/base64").asText()).isEqualTo("/wA=");
        }
    }

    @Test
    void aWholeJsonAnswerIsStoredMaskedWhileTheClientGetsItUntouched() throws Exception {
        try (var harness = harness(masking(RecordingMaskingConfig.defaults()))) {
            TestExchange exchange = chat("m-answer").body("{\"model\":\"demo-small\"}").build();
            harness.request(exchange);
            byte[] answer = bytes(answer("You said: mail " + EMAIL + ", card " + CARD + " and " + EMAIL));

            byte[] sent = harness.respond(exchange, 200, new Headers().add("Content-Type", "application/json"), answer);
            harness.responseEnd(exchange);

            assertThat(sent).isEqualTo(answer);
            JsonNode end = end("m-answer");
            assertThat(end.at("/response/body/text").asText()).isEqualTo(answer("You said: mail [EMAIL], card"
                    + " [CREDIT_CARD] and [EMAIL]"));
            assertThat(end.at("/response/body/size").asInt()).isEqualTo(answer.length);
            assertThat(end.get("bytesOut").asInt()).isEqualTo(answer.length);
            assertThat(end.get("storedMasking").toString())
                    .isEqualTo("{\"request\":{},\"response\":{\"credit-card\":1,\"email\":2}}");
            assertThat(audit.everything()).doesNotContain("bob.smith", "1111");
        }
    }

    @Test
    void anEmailSplitAcrossThreeStreamedChunksIsStoredWithNoClearByteOfIt() throws Exception {
        try (var harness = harness(masking(RecordingMaskingConfig.defaults()))) {
            TestExchange exchange = chat("m-stream").body("{\"stream\":true}").build();
            harness.request(exchange);
            List<byte[]> chunks = List.of(bytes(delta("Write to bob.sm", null)), bytes(delta("ith@exam", null)),
                    bytes(delta("ple.com today", null)), bytes(delta("", "stop")), bytes("data: [DONE]\n\n"));

            StreamResult result = harness.respondStream(exchange, 200,
                    new Headers().add("Content-Type", "text/event-stream"), chunks);
            harness.responseEnd(exchange);

            assertThat(result.error()).isEmpty();
            assertThat(result.chunks()).containsExactlyElementsOf(chunks);
            JsonNode body = end("m-stream").at("/response/body");
            String stored = storedChunks(body);
            assertThat(stored).doesNotContain("bob", "sm", "ith", "@", "exam", "ple.com");
            List<String> content = new ArrayList<>();
            for (String event : stored.split("\n\n")) {
                if (!event.equals("data: [DONE]")) {
                    content.add(Bodies.JSON.readTree(event.substring("data: ".length()))
                            .at("/choices/0/delta/content").asText());
                }
            }
            assertThat(String.join("", content)).isEqualTo("Write to [EMAIL] today");
            assertThat(body.get("size").asInt()).isEqualTo(chunks.stream().mapToInt(c -> c.length).sum());
            assertThat(body.get("chunkCount").asInt()).isEqualTo(5);
            assertThat(body.get("truncated").asBoolean()).isFalse();
            assertThat(body.at("/chunks/0/atMs").asLong()).isZero();
            assertThat(end("m-stream").at("/storedMasking/response").toString()).isEqualTo("{\"email\":1}");
            assertThat(audit.everything()).doesNotContain("bob.sm", "ith@exam");
        }
    }

    @Test
    void whatTheStreamMaskerHoldsBackIsStoredWhenTheStreamEndsWithoutAFinish() throws Exception {
        try (var harness = harness(masking(RecordingMaskingConfig.defaults()))) {
            TestExchange exchange = chat("m-held").build();
            harness.request(exchange);

            harness.respondStream(exchange, 200, new Headers().add("Content-Type", "text/event-stream"),
                    List.of(bytes(delta("reach me at bob.smith@exa", null)), bytes(delta("mple.com", null))));
            harness.responseEnd(exchange);

            String stored = storedChunks(end("m-held").at("/response/body"));
            assertThat(stored).contains("[EMAIL]").doesNotContain("bob", "mple.com");
        }
    }

    @Test
    void anAnswerTheMaskingStepMaskedUnderTheSameRulesIsStoredAsTheClientGotIt() throws Exception {
        // A second pass would take the licence number for a phone, the label "[PHONE]" being a phone context word
        // (MaskedAnswerTest): the record holds the client's bytes instead, and counts nothing the step did not.
        byte[] answer = bytes(answer("mail " + EMAIL + ". They're not answering at 71-33-52-22\\n"
                + "My driver's license number is 5130634"));
        Headers json = new Headers().add("Content-Type", "application/json");
        try (var maskingStep = ProcessorHarness.builder(new MaskingProcessorFactory(), MaskingConfig.defaults())
                .protocol("openai").build();
             var harness = harness(masking(RecordingMaskingConfig.defaults()))) {
            // The harness runs one step per exchange: the masking step's, then the recording's with what it handed on.
            TestExchange masked = chat("m-same-rules").identity(caller("analysts")).build();
            byte[] clientGot = maskingStep.respond(masked, 200, json, answer);
            TestExchange exchange = chat("m-same-rules").identity(caller("analysts"))
                    .attribute(MaskedAnswer.ATTRIBUTE, MaskedAnswer.of(masked.attributes())).build();
            harness.request(exchange);
            byte[] sent = harness.respond(exchange, 200, json, clientGot);
            harness.responseEnd(exchange);

            assertThat(sent).isEqualTo(clientGot);
            JsonNode end = end("m-same-rules");
            assertThat(end.at("/response/body/text").asText()).isEqualTo(new String(clientGot, StandardCharsets.UTF_8))
                    .isEqualTo(answer("mail [EMAIL]. They're not answering at [PHONE]\\n"
                            + "My driver's license number is 5130634"));
            assertThat(end.at("/storedMasking/response").toString()).isEqualTo("{}");
            assertThat(audit.everything()).doesNotContain("bob.smith", "71-33-52-22");
        }
    }

    @Test
    void theRecordingMasksTheAnswerAgainWhenTheStepHandedOnNothing() throws Exception {
        byte[] clientGot = bytes(answer("mail [EMAIL]. They're not answering at [PHONE]\\n"
                + "My driver's license number is 5130634"));
        try (var harness = harness(masking(RecordingMaskingConfig.defaults()))) {
            TestExchange exchange = chat("m-nothing-handed-on").identity(caller("analysts")).build();
            harness.request(exchange);
            harness.respond(exchange, 200, new Headers().add("Content-Type", "application/json"), clientGot);
            harness.responseEnd(exchange);

            assertThat(end("m-nothing-handed-on").at("/storedMasking/response").toString()).isEqualTo("{\"phone\":1}");
        }
    }

    @Test
    void anAnswerTheMaskingStepMaskedUnderOtherRulesIsMaskedAgainForTheRecord() throws Exception {
        MaskingConfig emailOnly = new MaskingConfig(null, null, null, Map.of("email", Strategy.REDACT), null, null,
                null, null, null, null, null, null);
        byte[] answer = bytes(answer("mail " + EMAIL + ", card " + CARD));
        Headers json = new Headers().add("Content-Type", "application/json");
        try (var maskingStep = ProcessorHarness.builder(new MaskingProcessorFactory(), emailOnly).protocol("openai")
                .build();
             var harness = harness(masking(RecordingMaskingConfig.defaults()))) {
            // The harness runs one step per exchange: the masking step's, then the recording's with what it handed on.
            TestExchange masked = chat("m-other-rules").identity(caller("analysts")).build();
            byte[] clientGot = maskingStep.respond(masked, 200, json, answer);
            TestExchange exchange = chat("m-other-rules").identity(caller("analysts"))
                    .attribute(MaskedAnswer.ATTRIBUTE, MaskedAnswer.of(masked.attributes())).build();
            harness.request(exchange);
            harness.respond(exchange, 200, json, clientGot);
            harness.responseEnd(exchange);

            assertThat(new String(clientGot, StandardCharsets.UTF_8)).contains(CARD);
            JsonNode end = end("m-other-rules");
            assertThat(end.at("/response/body/text").asText()).isEqualTo(answer("mail [EMAIL], card [CREDIT_CARD]"));
            assertThat(end.at("/storedMasking/response").toString()).isEqualTo("{\"credit-card\":1}");
            assertThat(audit.everything()).doesNotContain("bob.smith", "1111");
        }
    }

    @Test
    void aCallerTheMaskingStepExemptsGetsTheValuesButTheRecordStaysMasked() throws Exception {
        MaskingConfig exempting = new MaskingConfig(null, null, null, null, null, null, null, null, null, null, null,
                Set.of("pii-readers"));
        byte[] answer = bytes(answer("Your card is " + CARD));
        Headers json = new Headers().add("Content-Type", "application/json");
        byte[] clientGot;
        try (var maskingStep = ProcessorHarness.builder(new MaskingProcessorFactory(), exempting).protocol("openai")
                .build()) {
            clientGot = maskingStep.respond(chat("m-exempt-step").identity(caller("pii-readers")).build(), 200, json,
                    answer);
        }
        assertThat(new String(clientGot, StandardCharsets.UTF_8)).contains(CARD);

        try (var harness = harness(masking(RecordingMaskingConfig.defaults()))) {
            TestExchange exchange = chat("m-exempt").identity(caller("pii-readers")).build();
            harness.request(exchange);
            byte[] sent = harness.respond(exchange, 200, json, clientGot);
            harness.responseEnd(exchange);

            assertThat(sent).isEqualTo(clientGot);
            JsonNode end = end("m-exempt");
            assertThat(end.at("/response/body/text").asText()).isEqualTo(answer("Your card is [CREDIT_CARD]"));
            assertThat(end.at("/storedMasking/response").toString()).isEqualTo("{\"credit-card\":1}");
            assertThat(audit.everything()).doesNotContain(CARD);
        }
    }

    @Test
    void bodiesTheRecordingsMaskingCannotReadAreOmittedWithTheirSizeAndTheExchangeGoesOn() throws Exception {
        try (var harness = harness(masking(RecordingMaskingConfig.defaults()))) {
            String prompt = "{\"messages\":[{\"content\":\"" + EMAIL + "\"";
            TestExchange exchange = chat("m-bad").body(prompt).build();

            Outcome outcome = harness.request(exchange);
            byte[] broken = bytes("{\"answer\":\"" + EMAIL);
            byte[] sent = harness.respond(exchange, 200, new Headers().add("Content-Type", "application/json"), broken);
            harness.responseEnd(exchange);

            assertThat(outcome).isSameAs(Outcome.proceed());
            assertThat(sent).isEqualTo(broken);
            assertThat(audit.rows("m-bad").get(0).payload().at("/request/body").toString()).isEqualTo(
                    "{\"omitted\":\"the recording's masking could not read this body\",\"size\":" + prompt.length() + "}");
            JsonNode end = end("m-bad");
            assertThat(end.at("/response/body").toString()).isEqualTo(
                    "{\"omitted\":\"the recording's masking could not read this body\",\"size\":" + broken.length + "}");
            assertThat(end.get("storedMasking").toString()).isEqualTo("{\"request\":{},\"response\":{}}");
            assertThat(audit.everything()).doesNotContain("bob.smith");
        }
    }

    @Test
    void aStreamWithAnEventThatIsNotJsonKeepsNoneOfItsChunks() throws Exception {
        try (var harness = harness(masking(RecordingMaskingConfig.defaults()))) {
            TestExchange exchange = chat("m-bad-stream").build();
            harness.request(exchange);
            List<byte[]> chunks = List.of(bytes(delta("hello ", null)), bytes("data: plain " + EMAIL + "\n\n"),
                    bytes(delta("more", "stop")));

            StreamResult result = harness.respondStream(exchange, 200,
                    new Headers().add("Content-Type", "text/event-stream"), chunks);
            harness.responseEnd(exchange);

            assertThat(result.error()).isEmpty();
            assertThat(result.chunks()).containsExactlyElementsOf(chunks);
            assertThat(end("m-bad-stream").at("/response/body").toString()).isEqualTo("{\"chunkCount\":3,"
                    + "\"omitted\":\"the recording's masking could not read this body\",\"size\":"
                    + chunks.stream().mapToInt(c -> c.length).sum() + "}");
            assertThat(audit.everything()).doesNotContain("hello", "bob.smith");
        }
    }

    @Test
    void masksAreStoredBeforeTheBodyIsCutAndJsonFieldsAreStillRedacted() throws Exception {
        try (var harness = harness(new RecordingConfig(ByteSize.ofBytes(30), null, List.of("/api_key"), null,
                RecordingMaskingConfig.defaults()))) {
            String prompt = "{\"api_key\":\"k-1\",\"note\":\"" + EMAIL + " and more text\"}";
            harness.request(chat("m-cut").body(prompt).build());

            JsonNode body = audit.rows("m-cut").get(0).payload().at("/request/body");
            assertThat(body.get("text").asText()).isEqualTo("{\"api_key\":\"[redacted]\",\"note\"");
            assertThat(body.get("truncated").asBoolean()).isTrue();
            assertThat(body.get("redactions").asInt()).isEqualTo(1);
            assertThat(audit.everything()).doesNotContain("bob", "k-1");
        }
    }

    @Test
    void withoutMaskingTheRecordIsNotPatternMaskedAndSaysSo() throws Exception {
        try (var harness = harness(RecordingConfig.defaults())) {
            TestExchange exchange = chat("m-off").body("{\"note\":\"" + EMAIL + "\"}").build();
            harness.request(exchange);
            harness.respond(exchange, 200, new Headers(), bytes("{}"));
            harness.responseEnd(exchange);

            assertThat(audit.rows("m-off").get(0).payload().at("/request/body/text").asText()).contains(EMAIL);
            assertThat(end("m-off").get("storedMasking").isNull()).isTrue();
        }
    }

    @Test
    void theMaskingBlockIsCheckedLikeTheMaskingStepsConfigAndNamesTheField() {
        assertThatThrownBy(() -> new RecordingMaskingConfig(null, Map.of("passport", Strategy.REDACT), null, null,
                null, null, null, null, null))
                .isInstanceOf(ConfigException.class).hasFieldOrPropertyWithValue("field", "detectors")
                .hasMessage("unknown detector 'passport' (expected: credit-card|email|iban|ip-address|phone|secret"
                        + "|us-ssn)");
        assertThatThrownBy(() -> new RecordingMaskingConfig(null, Map.of("email", Strategy.HASH), null, null, null,
                null, null, null, null))
                .isInstanceOf(ConfigException.class).hasFieldOrPropertyWithValue("field", "hashKey")
                .hasMessage("is required when a strategy is hash (used by: email)");
        assertThatThrownBy(() -> new RecordingMaskingConfig(null, null, null, null, null, null, null, 10, null))
                .isInstanceOf(ConfigException.class).hasFieldOrPropertyWithValue("field", "window")
                .hasMessage("must be between 64 and 65536 characters, got 10");
    }

    @Test
    void mistakesInTheMaskingBlockOfAnEndpointFileAreReportedAtTheirKeyUnderMasking() throws Exception {
        Path config = temp.resolve("config");
        Files.createDirectories(config.resolve("endpoints"));
        Files.writeString(config.resolve("gateway.yaml"), "listeners:\n  http:\n    port: 8080\n"
                + "agents:\n  local:\n    address: 127.0.0.1:7443\n");
        endpoint(config, "strategy", "detectors: {email: blur}");
        endpoint(config, "window", "window: 10");
        endpoint(config, "exempt", "exemptGroups: [pii-readers]");

        List<String> errors = new ConfigLoader(Map.of("recording", RecordingConfig.class), name -> null).load(config)
                .formattedErrors();

        assertThat(errors).containsExactlyInAnyOrder(
                "endpoints/strategy.yaml:6:46: endpoint 'strategy' step 'recording' field 'masking.detectors.email':"
                        + " value 'blur' (expected: redact|partial|hash|drop-field)",
                "endpoints/window.yaml:6:35: endpoint 'window' step 'recording' field 'masking.window': must be between"
                        + " 64 and 65536 characters, got 10",
                "endpoints/exempt.yaml:6:27: endpoint 'exempt' step 'recording' field 'masking': unknown key"
                        + " 'exemptGroups' (accepted: protocol, detectors, phoneRegions, patterns, dictionaries, fields,"
                        + " hashKey, window, maxEventBytes)");
    }

    private static void endpoint(Path config, String id, String masking) throws Exception {
        Files.writeString(config.resolve("endpoints/" + id + ".yaml"), "id: " + id + "\npath: /" + id
                + "\nprotocol: openai\ntarget: {agent: local, service: demo-model}\npipeline:\n"
                + "  - recording: {masking: {" + masking + "}}\n");
    }
}
