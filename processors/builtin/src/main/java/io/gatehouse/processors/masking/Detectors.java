package io.gatehouse.processors.masking;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The built-in detectors and the ones config adds, in priority order: when several accept a value at the
 * same position, the first wins. Custom patterns and dictionaries come first (the operator knows best),
 * then secrets, email, IBAN, card, SSN, IP, and phone last (its validator accepts the most).
 */
final class Detectors {

    static final String EMAIL = "email";
    static final String PHONE = "phone";
    static final String CREDIT_CARD = "credit-card";
    static final String IBAN = "iban";
    static final String US_SSN = "us-ssn";
    static final String IP_ADDRESS = "ip-address";
    static final String SECRET = "secret";

    /** The ids of the built-in detectors, as written under {@code detectors:}. */
    static final Set<String> BUILT_IN = Set.of(EMAIL, PHONE, CREDIT_CARD, IBAN, US_SSN, IP_ADDRESS, SECRET);

    // Candidate patterns. Every quantifier is bounded so a stream knows how far back a match can start.
    static final String EMAIL_PATTERN = "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@"
            + "(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.){1,6}[A-Za-z]{2,63}(?![A-Za-z0-9-]|\\.[A-Za-z0-9])";
    static final String CARD_PATTERN = "(?<![\\w-])(?:\\d[ -]?){11,18}\\d(?![\\w-])";
    static final String IBAN_PATTERN = "(?<![\\w])[A-Za-z]{2}\\d{2}(?: ?[A-Za-z0-9]{4}){2,8}(?: ?[A-Za-z0-9]{1,3})?(?![\\w])";
    static final String SSN_PATTERN = "(?<![\\w.-])(?:\\d{3}-\\d{2}-\\d{4}|\\d{3} \\d{2} \\d{4}|\\d{3}\\.\\d{2}\\.\\d{4})"
            + "(?![\\w-]|\\.\\d)";
    private static final String OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    static final String IPV4_PATTERN = "(?<![\\w.])(?:" + OCTET + "\\.){3}" + OCTET + "(?:/(?:3[0-2]|[12]?\\d))?"
            + "(?![\\w]|\\.\\d)";
    static final String IPV6_PATTERN = "(?<![\\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}"
            + "(?:(?:\\d{1,3}\\.){3}\\d{1,3}|[0-9A-Fa-f]{1,4})?(?:%[0-9A-Za-z]{1,16})?(?:/\\d{1,3})?(?![\\w:]|\\.\\w)";
    static final String PHONE_PATTERN = "(?<![\\w+@/.-])(?:\\+?\\d{7,15}"
            + "|(?:\\+\\d{1,3}[ .-]?)?(?:\\(0\\)[ .-]?)?(?:\\(\\d{1,5}\\)[ .-]?|\\d{1,6}[ .-])(?:\\d{1,8}[ .-]){0,5}\\d{1,8})"
            + "(?: ?(?:x|ext\\.?|#) ?\\d{1,6})?(?![\\w@]|[.-]\\d)";

    private Detectors() {
    }

    /** The detectors of one config, in priority order. */
    static List<Detector> of(MaskingConfig config) {
        List<Detector> all = new ArrayList<>();
        for (MaskingConfig.PatternRule rule : config.patterns()) {
            all.add(new Detector(rule.name(), label(rule.name()), Pattern.compile(rule.regex()), rule.strategy(),
                    (t, s, e) -> e, null, UnaryOperator.identity()));
        }
        for (MaskingConfig.DictionaryRule rule : config.dictionaries()) {
            all.add(dictionary(rule));
        }
        Map<String, Strategy> enabled = config.detectors();
        if (enabled.containsKey(SECRET)) {
            secrets(enabled.get(SECRET)).forEach(all::add);
        }
        if (enabled.containsKey(EMAIL)) {
            all.add(new Detector(EMAIL, "EMAIL", Pattern.compile(EMAIL_PATTERN), enabled.get(EMAIL), Validators::email,
                    null, v -> v.toLowerCase(Locale.ROOT)).startingWith(LOCAL_PART, Detectors::mayBeEmail)
                    .anchoredBy("@", EMAIL_REACH));
        }
        if (enabled.containsKey(IBAN)) {
            all.add(new Detector(IBAN, "IBAN", Pattern.compile(IBAN_PATTERN), enabled.get(IBAN), Validators::iban, null,
                    v -> v.replace(" ", "").toUpperCase(Locale.ROOT)).startingWith(LETTERS, Detectors::mayBeIban));
        }
        if (enabled.containsKey(CREDIT_CARD)) {
            all.add(new Detector(CREDIT_CARD, "CREDIT_CARD", Pattern.compile(CARD_PATTERN), enabled.get(CREDIT_CARD),
                    Validators::card, null, Detectors::digitsOnly).startingWith(DIGITS, digitRun(" -", 12)));
        }
        if (enabled.containsKey(US_SSN)) {
            all.add(new Detector(US_SSN, "US_SSN", Pattern.compile(SSN_PATTERN), enabled.get(US_SSN), Validators::ssn,
                    null, Detectors::digitsOnly).startingWith(DIGITS, digitRun(" .-", 9)));
        }
        if (enabled.containsKey(IP_ADDRESS)) {
            Strategy s = enabled.get(IP_ADDRESS);
            all.add(new Detector(IP_ADDRESS, "IP_ADDRESS", Pattern.compile(IPV4_PATTERN), s, Validators::ipv4, null,
                    UnaryOperator.identity()).startingWith(DIGITS, digitRun("./", 4)));
            all.add(new Detector(IP_ADDRESS, "IP_ADDRESS", Pattern.compile(IPV6_PATTERN), s, Validators::ipv6, null,
                    v -> v.toLowerCase(Locale.ROOT)).startingWith(HEX + ":", Detectors::mayBeIpv6));
        }
        if (enabled.containsKey(PHONE)) {
            List<String> regions = config.phoneRegions();
            all.add(new Detector(PHONE, "PHONE", Pattern.compile(PHONE_PATTERN), enabled.get(PHONE),
                    (t, s, e) -> Validators.phone(t, s, e, regions), null, Detectors::phoneNormal)
                    .startingWith(DIGITS + "+(", digitRun(" .-()+", 7)));
        }
        return List.copyOf(all);
    }

    /**
     * Credentials: known key prefixes, JWTs and private-key blocks. Each finds a decisive prefix and runs on
     * over the rest of the token (or to the END line of a key block), however long.
     */
    private static List<Detector> secrets(Strategy strategy) {
        Detector.Chars token = new Detector.Chars(c -> c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
                || c >= '0' && c <= '9' || c == '_' || c == '-');
        Detector.Chars upperToken = new Detector.Chars(c -> c >= 'A' && c <= 'Z' || c >= '0' && c <= '9');
        Detector.Chars jwt = new Detector.Chars(c -> c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
                || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.');
        String privateKey = "(?:[A-Z0-9]{1,10} ){0,3}PRIVATE KEY(?: BLOCK)?-----";
        Detector.Validator any = (t, s, e) -> e;
        return List.of(
                secret("-----BEGIN " + privateKey, any,
                        new Detector.Until(Pattern.compile("-----END " + privateKey), 60), strategy)
                        .startingWith("-", prefix(false, "-----BEGIN ")),
                secret("(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,256}\\.eyJ[A-Za-z0-9_-]{4}", any, jwt, strategy)
                        .startingWith("e", prefix(true, "eyJ")),
                secret("(?<![A-Za-z0-9_-])sk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_-]{20}",
                        Validators::randomLooking, token, strategy).startingWith("s", prefix(true, "sk-")),
                secret("(?<![A-Za-z0-9_-])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16}", any, token, strategy)
                        .startingWith("sr", prefix(true, "sk_", "rk_")),
                secret("(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}", any,
                        upperToken, strategy).startingWith("A", prefix(true, "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA",
                        "AROA", "ANPA", "ANVA", "AIPA")),
                secret("(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30}|github_pat_[A-Za-z0-9_]{30})", any, token,
                        strategy).startingWith("g", prefix(true, "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
                secret("(?<![A-Za-z0-9-])xox[abposre]-[A-Za-z0-9-]{10}", Validators::randomLooking, token, strategy)
                        .startingWith("x", prefix(true, "xox")),
                secret("(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}", any, token, strategy)
                        .startingWith("A", prefix(true, "AIza")));
    }

    private static Detector secret(String regex, Detector.Validator validator, Detector.Continuation continuation,
                                   Strategy strategy) {
        return new Detector(SECRET, "SECRET", Pattern.compile(regex), strategy, validator, continuation,
                UnaryOperator.identity());
    }

    private static Detector dictionary(MaskingConfig.DictionaryRule rule) {
        String alternatives = rule.terms().stream().sorted(Comparator.comparingInt(String::length).reversed())
                .map(Pattern::quote).collect(Collectors.joining("|"));
        String flags = rule.caseSensitive() ? "" : "iu";
        String regex = "(?<![\\p{L}\\p{N}_])(?" + flags + ":" + alternatives + ")(?![\\p{L}\\p{N}_])";
        UnaryOperator<String> normal = rule.caseSensitive() ? UnaryOperator.identity()
                : v -> v.toLowerCase(Locale.ROOT);
        StringBuilder first = new StringBuilder();
        boolean nonAscii = false;
        for (String term : rule.terms()) {
            char c = term.charAt(0);
            if (c >= 128) {
                nonAscii = true;
            } else if (rule.caseSensitive()) {
                first.append(c);
            } else {
                first.append(Character.toLowerCase(c)).append(Character.toUpperCase(c));
            }
        }
        Detector d = new Detector(rule.name(), label(rule.name()), Pattern.compile(regex), rule.strategy(), (t, s, e) -> e,
                null, normal);
        Detector.Start start = (t, i, to) -> i == 0 || !Character.isLetterOrDigit(t.charAt(i - 1)) && t.charAt(i - 1) != '_';
        return nonAscii || !rule.caseSensitive() ? d.startingWithOrNonAscii(first.toString(), start)
                : d.startingWith(first.toString(), start);
    }

    // ---- start conditions: necessary, cheap; true whenever the pattern could match with more text ----

    static final String DIGITS = "0123456789";
    static final String LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    static final String HEX = "0123456789ABCDEFabcdef";
    static final String LOCAL_PART = LETTERS + DIGITS + "._%+-";

    static boolean word(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_';
    }

    private static boolean localPart(char c) {
        return word(c) || c == '.' || c == '%' || c == '+' || c == '-';
    }

    /** After a character that is not a regex word character ({@code [A-Za-z0-9_]}), or at the start. */
    static boolean afterNonWord(CharSequence t, int i, int to) {
        return i == 0 || !word(t.charAt(i - 1));
    }

    private static boolean afterNonToken(CharSequence t, int i, int to) {
        return i == 0 || !word(t.charAt(i - 1)) && t.charAt(i - 1) != '-';
    }

    /**
     * Starts with one of the literals (or with the start of one, where the text ends); with
     * {@code afterNonToken}, only after a character that is neither a word character nor a dash.
     */
    private static Detector.Start prefix(boolean afterNonToken, String... literals) {
        return (t, i, to) -> {
            if (afterNonToken && !afterNonToken(t, i, to)) {
                return false;
            }
            for (String literal : literals) {
                int n = Math.min(literal.length(), to - i);
                boolean same = true;
                for (int k = 0; k < n && same; k++) {
                    same = t.charAt(i + k) == literal.charAt(k);
                }
                if (same) {
                    return true;
                }
            }
            return false;
        };
    }

    /** How far from its start an email's {@code @} can be: after at most 64 local-part characters. */
    static final int EMAIL_REACH = 65;

    /** At the start of a run of local-part characters that reaches an {@code @} within 64 characters. */
    private static boolean mayBeEmail(CharSequence t, int i, int to) {
        if (i > 0 && localPart(t.charAt(i - 1))) {
            return false;
        }
        int limit = Math.min(to, i + EMAIL_REACH);
        for (int j = i; j < limit; j++) {
            char c = t.charAt(j);
            if (c == '@') {
                return j > i;
            }
            if (!localPart(c)) {
                return false;
            }
        }
        return limit == to;
    }

    /**
     * After a non-word character, a run of digits and {@code separators} holding at least {@code digits}
     * digits (or reaching the end of the text, where more may follow).
     */
    private static Detector.Start digitRun(String separators, int digits) {
        return (t, i, to) -> {
            if (!afterNonWord(t, i, to)) {
                return false;
            }
            int seen = 0;
            for (int j = i; j < to; j++) {
                char c = t.charAt(j);
                if (c >= '0' && c <= '9') {
                    if (++seen >= digits) {
                        return true;
                    }
                } else if (separators.indexOf(c) < 0) {
                    return false;
                }
            }
            return true;
        };
    }

    /** Two letters then two digits, after a non-word character. */
    private static boolean mayBeIban(CharSequence t, int i, int to) {
        if (!afterNonWord(t, i, to)) {
            return false;
        }
        return (i + 1 >= to || Character.isLetter(t.charAt(i + 1)) && t.charAt(i + 1) < 128)
                && (i + 2 >= to || Character.isDigit(t.charAt(i + 2)) && t.charAt(i + 2) < 128)
                && (i + 3 >= to || Character.isDigit(t.charAt(i + 3)) && t.charAt(i + 3) < 128);
    }

    /** A colon within the first five characters, after neither a word character, a colon nor a dot. */
    private static boolean mayBeIpv6(CharSequence t, int i, int to) {
        if (i > 0) {
            char p = t.charAt(i - 1);
            if (word(p) || p == ':' || p == '.') {
                return false;
            }
        }
        int limit = Math.min(to, i + 5);
        for (int j = i; j < limit; j++) {
            if (t.charAt(j) == ':') {
                return true;
            }
        }
        return limit == to;
    }

    /** {@code employee-id} → {@code EMPLOYEE_ID}. */
    static String label(String name) {
        return name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    private static String digitsOnly(String value) {
        return Validators.digits(value, 0, value.length());
    }

    private static String phoneNormal(String value) {
        String digits = digitsOnly(value);
        return value.startsWith("+") ? "+" + digits : digits;
    }
}
