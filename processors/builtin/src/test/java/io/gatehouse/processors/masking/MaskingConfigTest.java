package io.gatehouse.processors.masking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Secret;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MaskingConfigTest {

    private static MaskingConfig config(Map<String, Strategy> detectors, Secret hashKey) {
        return new MaskingConfig(null, null, null, detectors, null, null, null, null, hashKey, null, null, null);
    }

    @Test
    void defaultsMaskResponsesOnlyWithEveryBuiltInDetectorRedacting() {
        MaskingConfig c = MaskingConfig.defaults();
        assertThat(c.request()).isFalse();
        assertThat(c.response()).isTrue();
        assertThat(c.detectors()).containsOnlyKeys("email", "phone", "credit-card", "iban", "us-ssn", "ip-address",
                "secret").allSatisfy((id, s) -> assertThat(s).isEqualTo(Strategy.REDACT));
        assertThat(c.window()).isEqualTo(512);
        assertThat(c.maxEventBytes()).isEqualTo(ByteSize.ofBytes(1024 * 1024));
        assertThat(c.phoneRegions()).containsExactly("US", "GB", "DE", "FR", "IN", "CA", "BR", "IL");
        assertThat(c.exemptGroups()).isEmpty();
    }

    @Test
    void anUnknownDetectorIsRefusedAndTheKnownOnesAreListed() {
        assertThatThrownBy(() -> config(Map.of("passport", Strategy.REDACT), null))
                .isInstanceOf(ConfigException.class).hasMessage("unknown detector 'passport' (expected: "
                        + "credit-card|email|iban|ip-address|phone|secret|us-ssn)")
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("detectors");
    }

    @Test
    void secretsAreNeverShownInPartOrHashed() {
        assertThatThrownBy(() -> config(Map.of("secret", Strategy.PARTIAL), null))
                .hasMessage("detector 'secret' masks with redact or drop-field, got 'partial': a credential is never"
                        + " shown in part or hashed");
    }

    @Test
    void theHashStrategyNeedsAKeyOfAtLeastSixteenCharacters() {
        assertThatThrownBy(() -> config(Map.of("email", Strategy.HASH, "phone", Strategy.HASH), null))
                .hasMessage("is required when a strategy is hash (used by: email, phone)")
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("hashKey");
        assertThatThrownBy(() -> config(Map.of("email", Strategy.HASH), Secret.of("env:K", "short")))
                .hasMessage("must be at least 16 characters, got 5 from env:K");
    }

    @Test
    void anUnknownPhoneRegionIsRefused() {
        assertThatThrownBy(() -> new MaskingConfig(null, null, null, null, List.of("UK"), null, null, null, null,
                null, null, null)).hasMessage("unknown region 'UK' (expected an upper-case ISO 3166 code"
                + " libphonenumber knows, e.g. US, GB, DE)");
    }

    @Test
    void theWindowIsBounded() {
        assertThatThrownBy(() -> new MaskingConfig(null, null, null, null, null, null, null, null, null, 10, null,
                null)).hasMessage("must be between 64 and 65536 characters, got 10");
    }

    @Test
    void maskingNothingIsRefused() {
        assertThatThrownBy(() -> new MaskingConfig(false, false, null, null, null, null, null, null, null, null, null,
                null)).hasMessage("masks nothing when both request and response are false");
    }

    @Test
    void aCustomPatternMustCompileHaveNoBackReferenceAndNotMatchNothing() {
        assertThatThrownBy(() -> new MaskingConfig.PatternRule("emp", "EMP-(\\d", null))
                .hasMessage("pattern 'emp' does not compile: Unclosed group near index 7");
        assertThatThrownBy(() -> new MaskingConfig.PatternRule("emp", "(a)\\1", null))
                .hasMessage("pattern 'emp' uses a back-reference, which masking does not support");
        assertThatThrownBy(() -> new MaskingConfig.PatternRule("emp", "x*", null))
                .hasMessage("pattern 'emp' matches the empty string");
        assertThatThrownBy(() -> new MaskingConfig.PatternRule("Emp", "x", null))
                .hasMessage("a detector name is lower-case letters, digits and dashes, starting with a letter, got 'Emp'");
    }

    @Test
    void customDetectorNamesMustNotTakeABuiltInName() {
        assertThatThrownBy(() -> new MaskingConfig(null, null, null, null, null,
                List.of(new MaskingConfig.PatternRule("email", "x", null)), null, null, null, null, null, null))
                .hasMessage("the detector name 'email' is taken");
    }

    @Test
    void aFieldRulePathMustBeOfTheSupportedSubsetAndItsLabelDefaultsToTheLastName() {
        assertThat(new MaskingConfig.FieldRule("$.data[*].ssn", null, null).label()).isEqualTo("SSN");
        assertThat(new MaskingConfig.FieldRule("$..home-phone", null, null).label()).isEqualTo("HOME_PHONE");
        assertThatThrownBy(() -> new MaskingConfig.FieldRule("data.ssn", null, null))
                .hasMessage("'data.ssn' is not a supported path: it does not start with $ (expected e.g. $.data[*].ssn,"
                        + " $..email, $['a b'][0])");
        assertThatThrownBy(() -> new MaskingConfig.FieldRule("$.data[?(@.x)]", null, null))
                .hasMessage("'$.data[?(@.x)]' is not a supported path: '[?(@.x)]' is neither [*], [n] nor ['name']"
                        + " (expected e.g. $.data[*].ssn, $..email, $['a b'][0])");
    }

    @Test
    void theSecretNeverShowsInTheConfigsText() {
        MaskingConfig c = config(Map.of("email", Strategy.HASH), Secret.of("env:MASK_KEY", "0123456789abcdef-secret"));
        assertThat(c.toString()).contains("env:MASK_KEY").doesNotContain("0123456789abcdef-secret");
        assertThat(c.exemptGroups()).isEqualTo(Set.of());
    }
}
