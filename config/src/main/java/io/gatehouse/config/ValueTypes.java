package io.gatehouse.config;

import io.gatehouse.spi.ByteSize;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The scalar types a config record may use: how each is parsed from YAML text, and how errors and
 * the JSON Schema describe it. The binder and the schema generator both read this one table.
 */
final class ValueTypes {

    /** A short duration ({@code 30s}) or an ISO-8601 one ({@code PT30S}). */
    static final String DURATION_PATTERN = "^(?:[0-9]+(?:ms|s|m|h|d)"
            + "|P(?=[0-9T])(?:[0-9]+D)?(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\\.[0-9]+)?S)?)?)$";
    /** What {@link ByteSize#parse} accepts, case-insensitively. */
    static final String SIZE_PATTERN = "^[0-9]+ *(?:[Bb]|[KkMmGg][Ii]?[Bb])?$";
    /** A secret reference. */
    static final String SECRET_PATTERN = "^(?:env|file):.+$";

    static final String DURATION_EXPECTED = "a duration like 30s, 5m, 250ms";
    static final String SIZE_EXPECTED = "a size like 512, 16KiB, 1MiB";

    private static final Pattern SHORT_DURATION = Pattern.compile("([0-9]+)(ms|s|m|h|d)");
    private static final Pattern DURATION = Pattern.compile(DURATION_PATTERN);
    private static final Pattern INTEGER = Pattern.compile("[-+]?[0-9]+");
    private static final Pattern NUMBER = Pattern.compile("[-+]?[0-9]+(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?");

    /** How one scalar type reads: {@code parse} throws any runtime exception for text it rejects. */
    record Scalar(String expected, Function<String, Object> parse) {
    }

    private static final Map<Class<?>, Scalar> SCALARS = Map.ofEntries(
            Map.entry(String.class, new Scalar("a string", text -> text)),
            Map.entry(Integer.class, new Scalar("an integer", text -> Integer.parseInt(integer(text)))),
            Map.entry(int.class, new Scalar("an integer", text -> Integer.parseInt(integer(text)))),
            Map.entry(Long.class, new Scalar("an integer", text -> Long.parseLong(integer(text)))),
            Map.entry(long.class, new Scalar("an integer", text -> Long.parseLong(integer(text)))),
            Map.entry(Double.class, new Scalar("a number", ValueTypes::number)),
            Map.entry(double.class, new Scalar("a number", ValueTypes::number)),
            Map.entry(Boolean.class, new Scalar("true or false", ValueTypes::bool)),
            Map.entry(boolean.class, new Scalar("true or false", ValueTypes::bool)),
            Map.entry(Duration.class, new Scalar(DURATION_EXPECTED, ValueTypes::duration)),
            Map.entry(ByteSize.class, new Scalar(SIZE_EXPECTED, ByteSize::parse)),
            Map.entry(URI.class, new Scalar("a URI", URI::create)));

    private ValueTypes() {
    }

    /** The scalar reading of {@code type}, or null when it is no scalar type (enums included). */
    static Scalar scalar(Class<?> type) {
        if (type.isEnum()) {
            return new Scalar(enumExpected(type), text -> enumConstant(type, text));
        }
        return SCALARS.get(type);
    }

    static boolean isScalar(Class<?> type) {
        return type.isEnum() || SCALARS.containsKey(type);
    }

    /** An enum constant as written in YAML: {@code SLIDING_WINDOW} is {@code sliding-window}. */
    static String enumName(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static String enumExpected(Class<?> type) {
        return Arrays.stream(type.getEnumConstants()).map(c -> enumName((Enum<?>) c))
                .collect(Collectors.joining("|"));
    }

    private static Object enumConstant(Class<?> type, String text) {
        for (Object c : type.getEnumConstants()) {
            if (enumName((Enum<?>) c).equals(text)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no constant " + text);
    }

    static Duration duration(String text) {
        Matcher m = SHORT_DURATION.matcher(text);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        if (DURATION.matcher(text).matches()) {
            return Duration.parse(text);
        }
        throw new IllegalArgumentException("not a duration");
    }

    private static String integer(String text) {
        if (!INTEGER.matcher(text).matches()) {
            throw new IllegalArgumentException("not an integer");
        }
        return text;
    }

    private static Object number(String text) {
        if (!NUMBER.matcher(text).matches()) {
            throw new IllegalArgumentException("not a number");
        }
        return Double.parseDouble(text);
    }

    private static Object bool(String text) {
        return switch (text) {
            case "true", "True", "TRUE" -> Boolean.TRUE;
            case "false", "False", "FALSE" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException("not a boolean");
        };
    }
}
