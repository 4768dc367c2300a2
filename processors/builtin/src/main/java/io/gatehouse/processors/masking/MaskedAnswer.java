package io.gatehouse.processors.masking;

import io.gatehouse.spi.AttributeKey;
import io.gatehouse.spi.Attributes;
import java.util.Arrays;

/**
 * A whole answer as the masking step handed it on, with the rules it was masked under. The recording's own
 * masking ({@code recording.masking}) reads the answer as the client gets it, that is after this step. When
 * those are exactly these bytes and the step's rules are the recording's, they already are the answer masked
 * under the recording's rules, and the record stores them as they are. Masking them a second time would
 * scan every answer again (6 % of the gateway's CPU under the benchmark's full pipeline) to find, at most, a
 * number taken for a phone because the first pass's label "[PHONE]" is itself a phone context word: an
 * artefact of masking masked text, not a value the rules take in the answer (2 of 522 over the labelled
 * corpus, a driver's licence number among them: {@code MaskedAnswerTest}). A step in between that changes
 * the answer, other rules, or an exempt caller (nothing is offered) make the recording mask what it
 * actually got.
 *
 * <p>One per exchange, replaced by each offer; immutable.
 */
public final class MaskedAnswer {

    /** Where the masking step puts it on the exchange. */
    public static final AttributeKey<MaskedAnswer> ATTRIBUTE =
            AttributeKey.of("gatehouse.builtin.masked-answer", MaskedAnswer.class);

    private final byte[] bytes;
    private final MaskingRules rules;

    private MaskedAnswer(byte[] bytes, MaskingRules rules) {
        this.bytes = bytes;
        this.rules = rules;
    }

    /** {@code masked} is what masking under {@code rules} made of a whole answer; nobody changes it after. */
    static void offer(Attributes attributes, byte[] masked, MaskingRules rules) {
        attributes.put(ATTRIBUTE, new MaskedAnswer(masked, rules));
    }

    /** What the masking step offered for this exchange, or null. */
    public static MaskedAnswer of(Attributes attributes) {
        return attributes.get(ATTRIBUTE).orElse(null);
    }

    /** True when {@code answer} is the offered answer and it was masked under exactly the rules {@code wanted}. */
    boolean maskedAs(byte[] answer, MaskingRules wanted) {
        return rules.equals(wanted) && Arrays.equals(bytes, answer);
    }
}
