package io.gatehouse.processors.masking;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The masking engine on its own, without a gateway around it: masks a text, a JSON document, or a text
 * that arrives in pieces ({@link #textStream()}). Built once from a {@link MaskingConfig} (patterns
 * compiled, validators set up); thread-safe.
 *
 * <p>Other steps use it too: the recording step stores what it records masked through
 * {@link BodyMasking} (whole bodies and streams, read as this step reads them), whatever the
 * endpoint's own masking step did.
 */
public final class Masker {

    private final MaskingConfig config;
    private final Scanner scanner;
    private final Replacements replacements;
    private final List<FieldMatcher> fieldRules;

    /** A field rule, compiled. */
    record FieldMatcher(JsonPath path, Strategy strategy, String label, String id) {
    }

    private Masker(MaskingConfig config) {
        this.config = config;
        this.scanner = new Scanner(Detectors.of(config), config.window());
        this.replacements = new Replacements(config.hashKey());
        List<FieldMatcher> rules = new ArrayList<>();
        for (MaskingConfig.FieldRule rule : config.fields()) {
            rules.add(new FieldMatcher(JsonPath.compile(rule.path()), rule.strategy(), rule.label(),
                    "field " + rule.path()));
        }
        this.fieldRules = List.copyOf(rules);
    }

    /** Compiles the detectors of {@code config}. */
    public static Masker of(MaskingConfig config) {
        return new Masker(Objects.requireNonNull(config, "config"));
    }

    /**
     * A text masked whole.
     *
     * @param text  the masked text (the same instance when nothing was found)
     * @param counts masked values per detector id ({@code email}, {@code credit-card}, a pattern's name …)
     */
    public record MaskedText(String text, Map<String, Integer> counts) {
        public int total() {
            return counts.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    /**
     * A JSON document masked: only string values were scanned; keys and structure are as they were.
     *
     * @param json   the masked document, UTF-8 (the same array when nothing was masked); do not modify it
     * @param counts masked values per detector id; field rules count as {@code field <path>}
     */
    public record MaskedJson(byte[] json, Map<String, Integer> counts) {
        public int total() {
            return counts.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    public MaskedText maskText(String text) {
        MaskingCounts counts = new MaskingCounts();
        String masked = maskWhole(text, scanner.context(), counts, null);
        return new MaskedText(masked, counts.snapshot());
    }

    /** Masks a JSON document scanning every string value ({@link MaskingProtocol#GENERIC}). */
    public MaskedJson maskJson(byte[] json) {
        return maskJson(json, MaskingProtocol.GENERIC);
    }

    /**
     * Masks a JSON document as a response of {@code protocol} (protocol structure such as ids and model
     * names is left alone; OpenAI {@code logprobs} are removed).
     *
     * @throws MaskingException when it is not JSON (the message names no content)
     */
    public MaskedJson maskJson(byte[] json, MaskingProtocol protocol) {
        MaskingCounts counts = new MaskingCounts();
        JsonNode root = Json.parse(json, "the body");
        JsonMasker masker = new JsonMasker(this, protocol, true);
        boolean[] changed = new boolean[1];
        JsonNode masked = masker.mask(root, scanner.context(), counts, null, changed);
        return new MaskedJson(changed[0] ? Json.write(masked) : json, counts.snapshot());
    }

    /** Masks a text that arrives in pieces, holding back at most {@code window} characters. */
    public TextStream textStream() {
        return new TextStream(this, new MaskingCounts());
    }

    // ---- engine, for this package ----

    MaskingConfig config() {
        return config;
    }

    Scanner scanner() {
        return scanner;
    }

    Replacements replacements() {
        return replacements;
    }

    List<FieldMatcher> fieldRules() {
        return fieldRules;
    }

    TextStream textStream(MaskingCounts counts) {
        return new TextStream(this, counts);
    }

    /**
     * Masks a whole text.
     *
     * @param drop set to true when a value found has the drop-field strategy; may be null
     */
    String maskWhole(String text, Scanner.Context context, MaskingCounts counts, boolean[] drop) {
        if (text.isEmpty()) {
            return text;
        }
        List<Scanner.Match> matches = new ArrayList<>(2);
        scanner.scan(text, 0, true, matches, context);
        if (matches.isEmpty()) {
            return text;
        }
        return render(text, 0, text.length(), matches, counts, drop);
    }

    /** {@code text[from, upTo)} with every match replaced; counts them. */
    String render(CharSequence text, int from, int upTo, List<Scanner.Match> matches, MaskingCounts counts,
                  boolean[] drop) {
        StringBuilder out = new StringBuilder(upTo - from + 16);
        int at = from;
        for (Scanner.Match m : matches) {
            out.append(text, at, m.start());
            out.append(replacements.replace(m.detector(), text.subSequence(m.start(), m.end()).toString()));
            counts.add(m.detector().id);
            if (drop != null && m.detector().strategy == Strategy.DROP_FIELD) {
                drop[0] = true;
            }
            at = m.end();
        }
        out.append(text, at, upTo);
        return out.toString();
    }
}
