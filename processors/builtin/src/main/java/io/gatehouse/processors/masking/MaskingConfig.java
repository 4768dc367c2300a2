package io.gatehouse.processors.masking;

import com.google.i18n.phonenumbers.PhoneNumberUtil;
import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Secret;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Config of the {@code masking} step. Every component may be left out: a null takes the default.
 *
 * <pre>{@code
 * - masking:
 *     request: true                 # also mask the prompt before the model (default false)
 *     detectors: { email: hash, phone: partial, credit-card: redact, iban: redact, us-ssn: redact,
 *                  ip-address: redact, secret: redact }
 *     phoneRegions: [US, GB, DE, FR]
 *     patterns: [{ name: employee-id, regex: 'EMP-\d{6}' }]
 *     dictionaries: [{ name: project, terms: [Bluebird, Nightjar] }]
 *     fields: [{ path: '$.data[*].ssn', strategy: redact, label: SSN }]
 *     hashKey: env:MASKING_HASH_KEY
 *     exemptGroups: [pii-readers]
 * }</pre>
 *
 * @param request       mask the request body (prompts, tool results) before the model sees it. Default false.
 * @param response      mask the response. Default true.
 * @param protocol      the body shape: {@code openai}, {@code ollama}, {@code kserve-v2} or {@code generic}.
 *                      Default: the endpoint's protocol when it is one of these, else {@code generic}.
 * @param detectors     the built-in detectors to run and each one's strategy. Default: all of them, redact.
 * @param phoneRegions  the regions a phone number written without {@code +country} may belong to (ISO 3166,
 *                      as libphonenumber names them). Default US, GB, DE, FR, IN, CA, BR, IL.
 * @param patterns      custom regular expressions, each a detector of its own. Default none.
 * @param dictionaries  lists of terms (whole words), each a detector of its own. Default none.
 * @param fields        JSON paths whose values are masked whatever they hold. Default none.
 * @param hashKey       the HMAC key of the {@code hash} strategy, at least 16 characters; required when a
 *                      strategy is {@code hash}.
 * @param window        the most characters a stream holds back to catch a value split across chunks or
 *                      events; at least 64. Default 512, the longest built-in match (an email).
 * @param maxEventBytes the largest SSE event or NDJSON line of a masked stream; a larger one ends the stream
 *                      with an error. Default 1MiB.
 * @param exemptGroups  callers in any of these groups get unmasked answers. Default none.
 */
public record MaskingConfig(Boolean request, Boolean response, MaskingProtocol protocol,
                            Map<String, Strategy> detectors, List<String> phoneRegions, List<PatternRule> patterns,
                            List<DictionaryRule> dictionaries, List<FieldRule> fields, Secret hashKey, Integer window,
                            ByteSize maxEventBytes, Set<String> exemptGroups) {

    public static final List<String> DEFAULT_PHONE_REGIONS = List.of("US", "GB", "DE", "FR", "IN", "CA", "BR", "IL");
    public static final int DEFAULT_WINDOW = 512;
    public static final int MIN_WINDOW = 64;
    public static final int MAX_WINDOW = 65536;
    public static final ByteSize DEFAULT_MAX_EVENT_BYTES = ByteSize.ofBytes(1024 * 1024);
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]*");

    public MaskingConfig {
        request = request != null && request;
        response = response == null || response;
        if (!request && !response) {
            throw new ConfigException("response", "masks nothing when both request and response are false");
        }
        detectors = detectors == null ? defaultDetectors() : Map.copyOf(detectors);
        for (Map.Entry<String, Strategy> d : detectors.entrySet()) {
            if (!Detectors.BUILT_IN.contains(d.getKey())) {
                throw new ConfigException("detectors", "unknown detector '" + d.getKey() + "' (expected: "
                        + String.join("|", new TreeSet<>(Detectors.BUILT_IN)) + ")");
            }
            if (d.getKey().equals(Detectors.SECRET) && (d.getValue() == Strategy.PARTIAL || d.getValue() == Strategy.HASH)) {
                throw new ConfigException("detectors", "detector 'secret' masks with redact or drop-field, got '"
                        + configName(d.getValue()) + "': a credential is never shown in part or hashed");
            }
        }
        phoneRegions = phoneRegions == null ? DEFAULT_PHONE_REGIONS : List.copyOf(phoneRegions);
        Set<String> known = PhoneNumberUtil.getInstance().getSupportedRegions();
        for (String region : phoneRegions) {
            if (!known.contains(region)) {
                throw new ConfigException("phoneRegions", "unknown region '" + region
                        + "' (expected an upper-case ISO 3166 code libphonenumber knows, e.g. US, GB, DE)");
            }
        }
        patterns = patterns == null ? List.of() : List.copyOf(patterns);
        dictionaries = dictionaries == null ? List.of() : List.copyOf(dictionaries);
        fields = fields == null ? List.of() : List.copyOf(fields);
        Set<String> names = new HashSet<>(Detectors.BUILT_IN);
        for (PatternRule p : patterns) {
            if (!names.add(p.name())) {
                throw new ConfigException("patterns", "the detector name '" + p.name() + "' is taken");
            }
        }
        for (DictionaryRule d : dictionaries) {
            if (!names.add(d.name())) {
                throw new ConfigException("dictionaries", "the detector name '" + d.name() + "' is taken");
            }
        }
        window = window == null ? DEFAULT_WINDOW : window;
        if (window < MIN_WINDOW || window > MAX_WINDOW) {
            throw new ConfigException("window", "must be between " + MIN_WINDOW + " and " + MAX_WINDOW
                    + " characters, got " + window);
        }
        maxEventBytes = maxEventBytes == null ? DEFAULT_MAX_EVENT_BYTES : maxEventBytes;
        if (maxEventBytes.bytes() < 1024 || maxEventBytes.bytes() > 64L * 1024 * 1024) {
            throw new ConfigException("maxEventBytes", "must be between 1KiB and 64MiB, got " + maxEventBytes);
        }
        exemptGroups = exemptGroups == null ? Set.of() : Set.copyOf(exemptGroups);
        List<String> hashing = hashingDetectors(detectors, patterns, dictionaries, fields);
        if (!hashing.isEmpty() && hashKey == null) {
            throw new ConfigException("hashKey", "is required when a strategy is hash (used by: "
                    + String.join(", ", hashing) + ")");
        }
        if (hashKey != null && hashKey.reveal().length() < 16) {
            throw new ConfigException("hashKey", "must be at least 16 characters, got "
                    + hashKey.reveal().length() + " from " + hashKey.reference());
        }
    }

    /** Every default: responses only, every built-in detector redacting. */
    public static MaskingConfig defaults() {
        return new MaskingConfig(null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** Every built-in detector with {@link Strategy#REDACT}. */
    public static Map<String, Strategy> defaultDetectors() {
        Map<String, Strategy> all = new LinkedHashMap<>();
        Detectors.BUILT_IN.forEach(id -> all.put(id, Strategy.REDACT));
        return Map.copyOf(all);
    }

    static String configName(Strategy strategy) {
        return strategy.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static List<String> hashingDetectors(Map<String, Strategy> detectors, List<PatternRule> patterns,
                                                 List<DictionaryRule> dictionaries, List<FieldRule> fields) {
        List<String> hashing = new ArrayList<>();
        detectors.forEach((id, s) -> {
            if (s == Strategy.HASH) {
                hashing.add(id);
            }
        });
        hashing.sort(null);
        patterns.stream().filter(p -> p.strategy() == Strategy.HASH).forEach(p -> hashing.add(p.name()));
        dictionaries.stream().filter(d -> d.strategy() == Strategy.HASH).forEach(d -> hashing.add(d.name()));
        fields.stream().filter(f -> f.strategy() == Strategy.HASH).forEach(f -> hashing.add(f.path()));
        return hashing;
    }

    static void checkName(String field, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ConfigException(field, "a detector name is lower-case letters, digits and dashes, starting with a"
                    + " letter, got " + (name == null ? "nothing" : "'" + name + "'"));
        }
    }

    /**
     * A custom regular expression (Java syntax) as a detector of its own. Matches longer than the
     * stream {@code window} are caught whole in whole bodies but not across stream chunks.
     *
     * @param name     the detector's name in reports and the label ({@code employee-id} → {@code [EMPLOYEE_ID]})
     * @param regex    the expression; no back-references
     * @param strategy default redact
     */
    public record PatternRule(String name, String regex, Strategy strategy) {
        public PatternRule {
            checkName("name", name);
            if (regex == null || regex.isEmpty()) {
                throw new ConfigException("regex", "pattern '" + name + "' needs a regex");
            }
            try {
                Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new ConfigException("regex", "pattern '" + name + "' does not compile: " + e.getDescription()
                        + " near index " + e.getIndex());
            }
            if (Pattern.compile("\\\\[1-9k]").matcher(regex).find()) {
                throw new ConfigException("regex", "pattern '" + name + "' uses a back-reference, which masking does"
                        + " not support");
            }
            if (Pattern.compile(regex).matcher("").matches()) {
                throw new ConfigException("regex", "pattern '" + name + "' matches the empty string");
            }
            strategy = strategy == null ? Strategy.REDACT : strategy;
        }
    }

    /**
     * Terms masked wherever they stand as whole words.
     *
     * @param name          the detector's name in reports and the label
     * @param terms         the words or phrases
     * @param strategy      default redact
     * @param caseSensitive default false
     */
    public record DictionaryRule(String name, List<String> terms, Strategy strategy, Boolean caseSensitive) {
        public DictionaryRule {
            checkName("name", name);
            if (terms == null || terms.isEmpty() || terms.stream().anyMatch(t -> t == null || t.isBlank())) {
                throw new ConfigException("terms", "dictionary '" + name + "' needs at least one term, none blank");
            }
            terms = List.copyOf(terms);
            strategy = strategy == null ? Strategy.REDACT : strategy;
            caseSensitive = caseSensitive != null && caseSensitive;
        }
    }

    /**
     * A JSON path whose values are masked whatever their content, e.g. {@code $.data[*].ssn}. Paths use
     * {@code $}, {@code .name}, {@code ['name']}, {@code [n]}, {@code [*]}, {@code .*} and {@code ..name}.
     *
     * @param path     the path
     * @param strategy default redact
     * @param label    the label of the mask written in its place; default the last name in the path, upper-cased
     */
    public record FieldRule(String path, Strategy strategy, String label) {
        public FieldRule {
            if (path == null) {
                throw new ConfigException("path", "a field rule needs a path, e.g. $.data[*].ssn");
            }
            JsonPath compiled = JsonPath.compile(path);
            strategy = strategy == null ? Strategy.REDACT : strategy;
            label = label == null ? compiled.defaultLabel() : label;
            if (label.isBlank() || label.contains("]")) {
                throw new ConfigException("label", "a label is non-blank and has no ']', got '" + label + "'");
            }
        }
    }
}
