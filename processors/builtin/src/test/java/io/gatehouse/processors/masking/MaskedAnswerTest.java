package io.gatehouse.processors.masking;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.processors.support.MaskedAnswer;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Secret;
import io.gatehouse.testkit.TestExchange;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The recording's masking takes a whole answer as the masking step handed it on only when those are the very
 * bytes, masked under its very rules. And what a second pass over masking's own output would still find, for
 * every strategy over the labelled corpus, is only a number taken for a phone because a label the first pass
 * wrote ("[PHONE]") is a context word: no value of any other kind.
 */
class MaskedAnswerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Headers JSON_TYPE = new Headers().add("Content-Type", "application/json");
    private static final Secret HASH_KEY = Secret.of("literal", "a-hash-key-of-enough-length");
    private static final String EMAIL = "bob.smith@example.com";
    private static final String CARD = "4111 1111 1111 1111";

    private static MaskingConfig allAs(Strategy strategy) {
        Map<String, Strategy> detectors = new HashMap<>();
        Detectors.BUILT_IN.forEach(id -> detectors.put(id, strategy));
        if (strategy == Strategy.PARTIAL || strategy == Strategy.HASH) {
            detectors.put(Detectors.SECRET, Strategy.REDACT); // a credential is never shown in part or hashed
        }
        return new MaskingConfig(null, null, null, detectors, null, null, null, null,
                strategy == Strategy.HASH ? HASH_KEY : null, null, null, null);
    }

    private static BodyMasking bodies(MaskingConfig config) {
        return new BodyMasking(Masker.of(config), MaskingProtocol.OPENAI);
    }

    private static byte[] answer(String content) throws Exception {
        ObjectNode root = JSON.createObjectNode().put("id", "chatcmpl-1").put("object", "chat.completion");
        ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", content);
        choice.put("finish_reason", "stop");
        return JSON.writeValueAsBytes(root);
    }

    /** The corpus's sentences and every generated PII sample, a few dozen to an answer. */
    private static List<byte[]> corpusAnswers() throws Exception {
        List<String> texts = new ArrayList<>();
        try (InputStream in = MaskedAnswerTest.class.getResourceAsStream("/pii/synth_dataset_v2.json")) {
            assertThat(in).as("test resource pii/synth_dataset_v2.json").isNotNull();
            for (JsonNode sample : JSON.readTree(in)) {
                texts.add(sample.get("full_text").asText());
            }
        }
        PiiSamples.all().forEach(s -> texts.add("Reach it at " + s.value() + ", please."));
        List<byte[]> answers = new ArrayList<>();
        for (int i = 0; i < texts.size(); i += 25) {
            answers.add(answer(String.join("\n", texts.subList(i, Math.min(texts.size(), i + 25)))));
        }
        return answers;
    }

    @Test
    void maskingItsOwnOutputAgainFindsOnlyNumbersTakenForPhonesBecauseOfALabelItWrote() throws Exception {
        List<byte[]> answers = corpusAnswers();
        for (Strategy strategy : Strategy.values()) {
            BodyMasking masking = bodies(allAs(strategy));
            int found = 0;
            int foundAgain = 0;
            for (byte[] answer : answers) {
                BodyMasking.Result once = masking.whole(answer, JSON_TYPE, false);
                found += once.counts().values().stream().mapToInt(Integer::intValue).sum();
                BodyMasking.Result twice = masking.whole(once.body(), JSON_TYPE, false);
                assertThat(twice.counts().keySet()).as("%s: found again in %s", strategy,
                        new String(once.body(), StandardCharsets.UTF_8)).isSubsetOf(Detectors.PHONE);
                foundAgain += twice.counts().values().stream().mapToInt(Integer::intValue).sum();
            }
            // 522 values masked; 2 found again with redact and hash, whose labels hold the word "phone", 0 with
            // partial and drop-field (run here).
            assertThat(found).as("values the first pass masked with %s", strategy).isGreaterThan(500);
            assertThat(foundAgain).as("phones found again with %s", strategy).isLessThan(found / 100);
        }
    }

    @Test
    void aSecondPassTakesALicenceNumberForAPhoneBecauseTheFirstPassWroteTheWordPhoneBeforeIt() throws Exception {
        // Two sentences of the corpus, one after the other. A number of seven digits in no phone format is a
        // phone only near a word such as "phone" or "call": the first pass's label "[PHONE]" is one.
        String text = "They're not answering at 71-33-52-22\nMy driver's license number is 5130634";
        BodyMasking masking = bodies(allAs(Strategy.REDACT));

        BodyMasking.Result once = masking.whole(answer(text), JSON_TYPE, false);
        BodyMasking.Result twice = masking.whole(once.body(), JSON_TYPE, false);

        assertThat(new String(once.body(), StandardCharsets.UTF_8)).contains("[PHONE]").contains("5130634");
        assertThat(twice.counts()).isEqualTo(Map.of("phone", 1));
        assertThat(new String(twice.body(), StandardCharsets.UTF_8)).doesNotContain("5130634");
    }

    @Test
    void theAnswerTheStepHandedOnIsTakenAsItIsWhenItWasMaskedUnderTheRecordingsRules() throws Exception {
        MaskingConfig config = allAs(Strategy.REDACT);
        TestExchange exchange = TestExchange.post("/v1/chat/completions").build();
        // Not what masking would hand on (it still holds an email): taken as it is only because it was offered.
        byte[] offered = answer("mail " + EMAIL);
        MaskedAnswer.offer(exchange.attributes(), offered, MaskingRules.of(config, MaskingProtocol.OPENAI), true);

        BodyMasking.Result result = bodies(config).whole(offered.clone(), JSON_TYPE, false,
                MaskedAnswer.of(exchange.attributes()));

        assertThat(result.body()).isEqualTo(offered);
        assertThat(result.counts()).isEmpty();
        assertThat(result.read()).isTrue();
    }

    @Test
    void otherBytesOtherRulesAndRequestBodiesAreMaskedAgain() throws Exception {
        MaskingConfig redacting = allAs(Strategy.REDACT);
        byte[] offered = answer("mail " + EMAIL + ", card " + CARD);
        byte[] masked = answer("mail [EMAIL], card [CREDIT_CARD]");
        TestExchange exchange = TestExchange.post("/v1/chat/completions").build();

        MaskedAnswer.offer(exchange.attributes(), offered, MaskingRules.of(redacting, MaskingProtocol.OPENAI), true);
        MaskedAnswer handedOn = MaskedAnswer.of(exchange.attributes());
        assertThat(bodies(redacting).whole(answer("mail " + EMAIL + ", card " + CARD + "."), JSON_TYPE, false,
                handedOn).counts()).as("other bytes").containsEntry("email", 1);
        assertThat(bodies(redacting).whole(offered, JSON_TYPE, true, handedOn).body())
                .as("a request body").isEqualTo(masked);
        assertThat(bodies(allAs(Strategy.HASH)).whole(offered, JSON_TYPE, false, handedOn).counts())
                .as("another strategy").containsEntry("credit-card", 1);
        assertThat(new BodyMasking(Masker.of(redacting), MaskingProtocol.GENERIC).whole(offered, JSON_TYPE, false,
                handedOn).counts()).as("another protocol").containsEntry("email", 1);
        MaskingConfig otherRegions = new MaskingConfig(null, null, null, null, List.of("US"), null, null, null, null,
                null, null, null);
        assertThat(bodies(otherRegions).whole(offered, JSON_TYPE, false, handedOn).counts())
                .as("other phone regions").containsEntry("email", 1);

        MaskingConfig emailOnly = new MaskingConfig(null, null, null, Map.of("email", Strategy.REDACT), null, null,
                null, null, null, null, null, null);
        MaskedAnswer.offer(exchange.attributes(), offered, MaskingRules.of(emailOnly, MaskingProtocol.OPENAI), true);
        assertThat(bodies(redacting).whole(offered, JSON_TYPE, false, MaskedAnswer.of(exchange.attributes())).body())
                .as("the step masked fewer detectors than the recording asks").isEqualTo(masked);
    }

    @Test
    void anAnswerAStepOnlyRemovedPartsOfIsHandedOnInItsPlaceUnlessAFieldRuleNamesAPosition() throws Exception {
        MaskingConfig redacting = allAs(Strategy.REDACT);
        MaskingRules rules = MaskingRules.of(redacting, MaskingProtocol.OPENAI);
        byte[] masked = answer("mail [EMAIL]");
        byte[] shorter = JSON.writeValueAsBytes(((ObjectNode) JSON.readTree(masked)).without("object"));
        TestExchange exchange = TestExchange.post("/v1/chat/completions").build();

        MaskedAnswer.offer(exchange.attributes(), masked, rules, true);
        MaskedAnswer.removed(exchange.attributes(), answer("mail [EMAIL]."), shorter);
        assertThat(MaskedAnswer.of(exchange.attributes()).maskedAs(shorter, rules)).as("removed from other bytes")
                .isFalse();
        MaskedAnswer.removed(exchange.attributes(), masked.clone(), shorter);
        assertThat(MaskedAnswer.of(exchange.attributes()).maskedAs(shorter, rules)).isTrue();
        assertThat(MaskedAnswer.of(exchange.attributes()).maskedAs(masked, rules)).isFalse();

        MaskedAnswer.offer(exchange.attributes(), masked, rules, false);
        MaskedAnswer.removed(exchange.attributes(), masked, shorter);
        assertThat(MaskedAnswer.of(exchange.attributes()).maskedAs(shorter, rules)).as("positions named").isFalse();
    }

    @Test
    void theMaskingStepSaysRemovalKeepsItsAnswerMaskedOnlyWithoutFieldRules() throws Exception {
        byte[] answer = answer("mail " + EMAIL);
        byte[] shorter = JSON.writeValueAsBytes(((ObjectNode) JSON.readTree(answer("mail [EMAIL]"))).without("object"));
        MaskingConfig withField = new MaskingConfig(null, null, null, null, null, null, null,
                List.of(new MaskingConfig.FieldRule("$.choices[1].message.content", Strategy.REDACT, null)), null, null,
                null, null);
        for (MaskingConfig config : List.of(MaskingConfig.defaults(), withField)) {
            try (var step = io.gatehouse.testkit.ProcessorHarness.builder(new MaskingProcessorFactory(), config)
                    .protocol("openai").build()) {
                TestExchange exchange = TestExchange.post("/v1/chat/completions").build();
                byte[] sent = step.respond(exchange, 200, JSON_TYPE, answer);
                MaskedAnswer.removed(exchange.attributes(), sent, shorter);

                assertThat(MaskedAnswer.of(exchange.attributes()).maskedAs(shorter,
                        MaskingRules.of(config, MaskingProtocol.OPENAI))).isEqualTo(config.fields().isEmpty());
            }
        }
    }

    @Test
    void configsThatDifferOnlyInWindowEventSizeExemptionsOrBodiesHaveTheSameRules() {
        MaskingConfig step = new MaskingConfig(true, true, null, null, null, null, null, null, null, 1024, null,
                java.util.Set.of("pii-readers"));
        MaskingConfig recording = new MaskingConfig(false, true, null, Map.copyOf(MaskingConfig.defaultDetectors()),
                null, null, null, null, null, null, null, null);

        assertThat(MaskingRules.of(step, MaskingProtocol.OPENAI)).isEqualTo(MaskingRules.of(recording,
                MaskingProtocol.OPENAI));
        MaskingConfig otherKey = new MaskingConfig(null, null, null, allAs(Strategy.HASH).detectors(), null, null,
                null, null, Secret.of("literal", "another-hash-key-long-enough"), null, null, null);
        assertThat(MaskingRules.of(allAs(Strategy.HASH), MaskingProtocol.OPENAI))
                .isNotEqualTo(MaskingRules.of(otherKey, MaskingProtocol.OPENAI));
    }
}
