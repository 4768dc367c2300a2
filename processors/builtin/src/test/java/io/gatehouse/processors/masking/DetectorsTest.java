package io.gatehouse.processors.masking;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each validator keeps look-alikes out: what it accepts, and what it rejects although the pattern matched. */
class DetectorsTest {

    private final Masker masker = Masker.of(MaskingConfig.defaults());

    private Map<String, Integer> counts(String text) {
        return masker.maskText(text).counts();
    }

    @Test
    void cardNumbersNeedLuhnAndAKnownIssuerRange() {
        assertThat(counts("card 4111 1111 1111 1111 ok")).isEqualTo(Map.of("credit-card", 1));
        assertThat(counts("card 378282246310005 ok")).isEqualTo(Map.of("credit-card", 1));
        assertThat(counts("card 4111 1111 1111 1112 ok")).as("Luhn fails").isEmpty();
        assertThat(counts("card 9111 1111 1111 1115 ok")).as("Luhn holds, no issuer starts with 9").isEmpty();
        assertThat(counts("card 4111111111111 ok")).as("Visa has 13 digits only with a valid check").isEmpty();
        assertThat(counts("card 0000 0000 0000 0000 ok")).as("one digit repeated").isEmpty();
    }

    @Test
    void ibansNeedTheirCountrysLengthAndMod97() {
        assertThat(counts("to GB82 WEST 1234 5698 7654 32 today")).isEqualTo(Map.of("iban", 1));
        assertThat(counts("to DE89370400440532013000 today")).isEqualTo(Map.of("iban", 1));
        assertThat(counts("to GB82 WEST 1234 5698 7654 33 today")).as("check digits fail").doesNotContainKey("iban");
        assertThat(counts("to XX82 WEST 1234 5698 7654 32 today")).as("no such country").doesNotContainKey("iban");
        assertThat(masker.maskText("to GB82 WEST 1234 5698 7654 32 ABCD then").text())
                .as("runs on into a word: the country's length decides").isEqualTo("to [IBAN] ABCD then");
    }

    @ParameterizedTest
    @ValueSource(strings = {"000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000", "111-11-1111",
            "078-05-1120", "123-45-6789", "123-45-67890"})
    void ssnsInInvalidAreasGroupsOrSerialsAreNotSsns(String value) {
        assertThat(counts("ssn " + value + ".")).doesNotContainKey("us-ssn");
    }

    @Test
    void aValidSsnInAnyOfThreeSeparatorsIsMasked() {
        assertThat(masker.maskText("ssn 460-89-9847, 460 89 9847 and 460.89.9847.").text())
                .isEqualTo("ssn [US_SSN], [US_SSN] and [US_SSN].");
    }

    @Test
    void emailsNeedAKnownTopLevelDomain() {
        assertThat(counts("mail bob.smith+x@mail.example.co.uk now")).isEqualTo(Map.of("email", 1));
        assertThat(counts("mail bob@example.notatld now")).isEmpty();
        assertThat(counts("mail bob@localhost now")).isEmpty();
    }

    @Test
    void ipAddressesAreValidatedAndLoopbackV6AndClockTimesAreLeftAlone() {
        assertThat(masker.maskText("from 106.31.73.20, 2001:db8::8a2e:370:7334 and 10.0.0.0/8").text())
                .isEqualTo("from [IP_ADDRESS], [IP_ADDRESS] and [IP_ADDRESS]");
        assertThat(counts("at 12:30:45 on ::1 version 1.2.3 and 999.1.1.1")).isEmpty();
    }

    @Test
    void phoneNumbersAreValidatedByLibphonenumberAndWeakFormatsNeedAWordSayingSo() {
        assertThat(counts("call +1 415-555-2671 now")).isEqualTo(Map.of("phone", 1));
        assertThat(counts("(201) 555-0123 is the office")).isEqualTo(Map.of("phone", 1));
        assertThat(counts("mobile: 451 5986")).isEqualTo(Map.of("phone", 1));
        assertThat(counts("The restaurant is at 17151 2450 Crown St")).as("house numbers").isEmpty();
        assertThat(counts("When: 2000-04-16 11:34:35")).as("a date and time").isEmpty();
        assertThat(counts("call +1-984-182-0190")).as("no NANP exchange starts with 1").isEmpty();
    }

    @Test
    void phoneRegionsComeFromConfig() {
        Masker usOnly = Masker.of(new MaskingConfig(null, null, null, null, List.of("US"), null, null, null, null,
                null, null, null));
        assertThat(masker.maskText("phone 030 123456 today").counts()).isEqualTo(Map.of("phone", 1));
        assertThat(usOnly.maskText("phone 030 123456 today").counts()).isEmpty();
    }

    @Test
    void knownCredentialShapesAreSecretsAndRunToTheEndOfTheToken() {
        assertThat(masker.maskText("keys sk-proj-aZ19abcdefghijklmnopqrstuvwxyz0123456789, AKIAIOSFODNN7EXAMPLE, "
                + "ghp_aZ19abcdefghijklmnopqrstuvwxyz0123 and xoxb-1234567890-abcdefghij done").text())
                .isEqualTo("keys [SECRET], [SECRET], [SECRET] and [SECRET] done");
        assertThat(masker.maskText("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl end").text())
                .isEqualTo("jwt [SECRET] end");
        assertThat(masker.maskText("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\nAoGAQ==\n-----END EC PRIVATE KEY-----"
                + "\nafter").text()).isEqualTo("[SECRET]\nafter");
        assertThat(counts("use scikit-learn and sk-learning-rate-schedulers-and-more")).as("kebab-case words").isEmpty();
    }

    @Test
    void customPatternsAndDictionariesAreDetectorsOfTheirOwn() {
        Masker custom = Masker.of(new MaskingConfig(null, null, null, Map.of(), null,
                List.of(new MaskingConfig.PatternRule("employee-id", "EMP-\\d{6}", null)),
                List.of(new MaskingConfig.DictionaryRule("project", List.of("Bluebird", "Night Jar"), null, null)),
                null, null, null, null, null));
        Masker.MaskedText masked = custom.maskText("EMP-123456 works on bluebird and NIGHT JAR, not Bluebirds.");
        assertThat(masked.text()).isEqualTo("[EMPLOYEE_ID] works on [PROJECT] and [PROJECT], not Bluebirds.");
        assertThat(masked.counts()).isEqualTo(Map.of("employee-id", 1, "project", 2));
    }
}
