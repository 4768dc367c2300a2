package io.gatehouse.processors.support;

import io.gatehouse.spi.AttributeKey;
import io.gatehouse.spi.Attributes;
import java.util.Arrays;
import java.util.Objects;

/**
 * A whole answer as the masking step handed it on, with the rules it was masked under. The recording's own
 * masking ({@code recording.masking}) reads the answer as the client gets it, that is after this step. When
 * those are exactly these bytes and the step's rules are the recording's, they already are the answer masked
 * under the recording's rules, and the record stores them as they are. Masking them a second time would
 * scan every answer again (6 % of the gateway's CPU under the benchmark's full pipeline) to find, at most, a
 * number taken for a phone because the first pass's label "[PHONE]" is itself a phone context word: an
 * artefact of masking masked text, not a value the rules take in the answer (2 of 522 over the labelled
 * corpus, a driver's licence number among them: {@code MaskedAnswerTest}).
 *
 * <p>A built-in step in between that only removes members or elements (the policy step's hidden fields and
 * filtered lists) hands on what it made ({@link #removed}): masking is a function of each string value and
 * the names above it, which removing others does not change, unless a field rule names a position
 * ({@code $.choices[1]…}), which removing an element shifts. Any other change to the answer, other rules, or
 * an exempt caller (nothing is offered) make the recording mask what it actually got.
 *
 * <p>Immutable; one per exchange, replaced by each offer.
 */
public final class MaskedAnswer {

    /** Where the masking step puts it on the exchange. */
    public static final AttributeKey<MaskedAnswer> ATTRIBUTE =
            AttributeKey.of("gatehouse.builtin.masked-answer", MaskedAnswer.class);

    private final byte[] bytes;
    private final Object rules;
    private final boolean survivesRemoval;

    private MaskedAnswer(byte[] bytes, Object rules, boolean survivesRemoval) {
        this.bytes = bytes;
        this.rules = rules;
        this.survivesRemoval = survivesRemoval;
    }

    /**
     * {@code masked} is what masking under {@code rules} made of a whole answer; nobody changes it after.
     *
     * @param rules           compared by {@code equals} with the rules of whoever would mask it again
     * @param survivesRemoval false when the rules name positions, so removing an element changes what they mask
     */
    public static void offer(Attributes attributes, byte[] masked, Object rules, boolean survivesRemoval) {
        attributes.put(ATTRIBUTE, new MaskedAnswer(masked, Objects.requireNonNull(rules, "rules"), survivesRemoval));
    }

    /**
     * A step made {@code to} from {@code from} by removing members or array elements and nothing else: when
     * {@code from} is the masked answer on offer, {@code to} is offered in its place.
     */
    public static void removed(Attributes attributes, byte[] from, byte[] to) {
        MaskedAnswer held = of(attributes);
        if (held != null && held.survivesRemoval && (held.bytes == from || Arrays.equals(held.bytes, from))) {
            attributes.put(ATTRIBUTE, new MaskedAnswer(to, held.rules, true));
        }
    }

    /** What the masking step offered for this exchange, or null. */
    public static MaskedAnswer of(Attributes attributes) {
        return attributes.get(ATTRIBUTE).orElse(null);
    }

    /** True when {@code answer} is the offered answer and it was masked under exactly the rules {@code wanted}. */
    public boolean maskedAs(byte[] answer, Object wanted) {
        return rules.equals(wanted) && (bytes == answer || Arrays.equals(bytes, answer));
    }
}
