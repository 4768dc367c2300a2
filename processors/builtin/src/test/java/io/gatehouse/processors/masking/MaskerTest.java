package io.gatehouse.processors.masking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.Secret;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MaskerTest {

    private static final Secret KEY = Secret.of("env:MASKING_KEY", "a-test-key-of-32-characters-long");

    private static Masker with(Map<String, Strategy> detectors, List<MaskingConfig.FieldRule> fields) {
        return Masker.of(new MaskingConfig(null, null, null, detectors, null, null, null, fields, KEY, null, null,
                null));
    }

    private static String json(Masker masker, String json, MaskingProtocol protocol) {
        return new String(masker.maskJson(json.getBytes(StandardCharsets.UTF_8), protocol).json(),
                StandardCharsets.UTF_8);
    }

    @Test
    void redactReplacesAValueWithItsLabel() {
        Masker.MaskedText masked = Masker.of(MaskingConfig.defaults()).maskText("mail bob@example.com, card "
                + "4242 4242 4242 4242.");
        assertThat(masked.text()).isEqualTo("mail [EMAIL], card [CREDIT_CARD].");
        assertThat(masked.counts()).isEqualTo(Map.of("email", 1, "credit-card", 1));
        assertThat(masked.total()).isEqualTo(2);
    }

    @Test
    void partialKeepsTheLastFourCharactersAndAnEmailsDomain() {
        Masker masker = with(Map.of("credit-card", Strategy.PARTIAL, "email", Strategy.PARTIAL, "us-ssn",
                Strategy.PARTIAL), null);
        assertThat(masker.maskText("card 4242 4242 4242 4242, mail bob@example.com, ssn 460-89-9847").text())
                .isEqualTo("card ****4242, mail b***@example.com, ssn ****9847");
    }

    @Test
    void hashIsStableAcrossFormatsOfOneValueAndDiffersBetweenValues() {
        Masker masker = with(Map.of("credit-card", Strategy.HASH, "email", Strategy.HASH), null);
        String a = masker.maskText("4242 4242 4242 4242").text();
        String b = masker.maskText("4242-4242-4242-4242").text();
        String c = masker.maskText("4111 1111 1111 1111").text();
        assertThat(a).matches("\\[CREDIT_CARD:[0-9a-f]{12}]").isEqualTo(b).isNotEqualTo(c);
        assertThat(masker.maskText("Bob@Example.com").text()).isEqualTo(masker.maskText("bob@example.com").text());
        Masker otherKey = Masker.of(new MaskingConfig(null, null, null, Map.of("credit-card", Strategy.HASH), null,
                null, null, null, Secret.of("env:OTHER", "another-key-of-32-characters-xx"), null, null, null));
        assertThat(otherKey.maskText("4242 4242 4242 4242").text()).isNotEqualTo(a);
    }

    @Test
    void onlyStringValuesAreScannedAndKeysNumbersAndStructureStayAsTheyWere() {
        String body = "{\"bob@example.com\":\"bob@example.com\",\"n\":1.50,\"big\":12345678901234567890,"
                + "\"card\":4242424242424242,\"list\":[\"x\",true,null,{\"ip\":\"10.1.2.3\"}]}";
        assertThat(json(Masker.of(MaskingConfig.defaults()), body, MaskingProtocol.GENERIC))
                .isEqualTo("{\"bob@example.com\":\"[EMAIL]\",\"n\":1.50,\"big\":12345678901234567890,"
                        + "\"card\":4242424242424242,\"list\":[\"x\",true,null,{\"ip\":\"[IP_ADDRESS]\"}]}");
    }

    @Test
    void aDocumentWithNothingToMaskIsReturnedByteForByte() {
        byte[] body = "{ \"a\" : [1.0e3, \"plain text\"] }".getBytes(StandardCharsets.UTF_8);
        Masker.MaskedJson masked = Masker.of(MaskingConfig.defaults()).maskJson(body);
        assertThat(masked.json()).isSameAs(body);
        assertThat(masked.total()).isZero();
    }

    @Test
    void fieldRulesMaskWhateverTheFieldHolds() {
        Masker masker = with(Map.of(), List.of(new MaskingConfig.FieldRule("$.data[*].ssn", null, null),
                new MaskingConfig.FieldRule("$..secret", Strategy.DROP_FIELD, null),
                new MaskingConfig.FieldRule("$.data[0].account", Strategy.PARTIAL, null)));
        Masker.MaskedJson masked = masker.maskJson(("{\"data\":[{\"ssn\":123,\"account\":\"AB-99887766\","
                + "\"deep\":{\"secret\":{\"x\":1},\"keep\":\"y\"}},{\"ssn\":{\"a\":\"b\"},\"account\":\"zz\"}]}")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(new String(masked.json(), StandardCharsets.UTF_8)).isEqualTo("{\"data\":[{\"ssn\":\"[SSN]\","
                + "\"account\":\"****7766\",\"deep\":{\"keep\":\"y\"}},{\"ssn\":\"[SSN]\",\"account\":\"zz\"}]}");
        assertThat(masked.counts()).isEqualTo(Map.of("field $.data[*].ssn", 2, "field $..secret", 1,
                "field $.data[0].account", 1));
    }

    @Test
    void dropFieldRemovesTheMemberHoldingAValueAndRedactsInArraysAndText() {
        Masker masker = with(Map.of("email", Strategy.DROP_FIELD), null);
        assertThat(json(masker, "{\"to\":\"bob@example.com\",\"cc\":[\"amy@example.com\"],\"n\":1}",
                MaskingProtocol.GENERIC)).isEqualTo("{\"cc\":[\"[EMAIL]\"],\"n\":1}");
        assertThat(masker.maskText("mail bob@example.com").text()).isEqualTo("mail [EMAIL]");
    }

    @Test
    void openAiStructureIsLeftAloneAndLogprobsAreRemovedFromAnswers() {
        String body = "{\"id\":\"chatcmpl-4155552671\",\"model\":\"bob@example.com\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"write to bob@example.com\",\"tool_calls\":[{"
                + "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"send\","
                + "\"arguments\":\"{\\\"to\\\":\\\"bob@example.com\\\"}\"}}]},\"logprobs\":{\"content\":[]},"
                + "\"finish_reason\":\"stop\"}]}";
        assertThat(json(Masker.of(MaskingConfig.defaults()), body, MaskingProtocol.OPENAI)).isEqualTo("{\"id\":"
                + "\"chatcmpl-4155552671\",\"model\":\"bob@example.com\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                + "\"assistant\",\"content\":\"write to [EMAIL]\",\"tool_calls\":[{\"id\":\"call_1\",\"type\":"
                + "\"function\",\"function\":{\"name\":\"send\",\"arguments\":\"{\\\"to\\\":\\\"[EMAIL]\\\"}\"}}]},"
                + "\"logprobs\":null,\"finish_reason\":\"stop\"}]}");
    }

    @Test
    void kserveBytesOutputsAreMaskedAndTensorNamesAndNumbersAreNot() {
        String body = "{\"model_name\":\"m\",\"outputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[2],"
                + "\"data\":[\"call +1 415-555-2671\",\"fine\"]},{\"name\":\"p\",\"datatype\":\"FP32\",\"shape\":[1],"
                + "\"data\":[0.25]}]}";
        assertThat(json(Masker.of(MaskingConfig.defaults()), body, MaskingProtocol.KSERVE_V2)).isEqualTo(
                "{\"model_name\":\"m\",\"outputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[2],"
                        + "\"data\":[\"call [PHONE]\",\"fine\"]},{\"name\":\"p\",\"datatype\":\"FP32\",\"shape\":[1],"
                        + "\"data\":[0.25]}]}");
    }

    @Test
    void aBodyThatIsNotJsonFailsWithoutQuotingIt() {
        assertThatThrownBy(() -> Masker.of(MaskingConfig.defaults()).maskJson("{\"a\": bob@example.com}"
                .getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(MaskingException.class)
                .hasMessage("the body is not valid JSON (line 1, column 7)");
    }

    @Test
    void aTextStreamReleasesAllButTheLastUndecidedWordAndEndsWithTheRest() {
        TextStream stream = Masker.of(MaskingConfig.defaults()).textStream();
        assertThat(stream.push("Hello there, mail bob@exa")).isEqualTo("Hello there, mail ");
        assertThat(stream.held()).isEqualTo(7);
        assertThat(stream.push("mple.com now")).isEqualTo("[EMAIL] ");
        assertThat(stream.finish()).isEqualTo("now");
        assertThat(stream.counts()).isEqualTo(Map.of("email", 1));
    }

    @Test
    void aPrivateKeyIsReplacedAsSoonAsItsFirstLineIsSeenAndTheRestIsSwallowed() {
        TextStream stream = Masker.of(MaskingConfig.defaults()).textStream();
        assertThat(stream.push("key: -----BEGIN RSA PRIVATE KEY-----\nMIIEow")).isEqualTo("key: [SECRET]");
        assertThat(stream.push("IBAAKCAQEA\nxyz==\n-----END RSA PRI")).isEmpty();
        assertThat(stream.push("VATE KEY-----\nthanks")).isEqualTo("\n");
        assertThat(stream.finish()).isEqualTo("thanks");
    }
}
