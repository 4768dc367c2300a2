package io.gatehouse.samplemodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonTest {

    @Test
    @SuppressWarnings("unchecked")
    void parsesEveryKindOfValueIntoJavaTypes() {
        Object value = Json.parse(" {\"s\":\"x\",\"i\":-42,\"d\":1.5e2,\"t\":true,\"f\":false,\"n\":null,"
                + "\"a\":[1,[2,[3,[]]],{}],\"o\":{\"k\":\"v\"}} ");

        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("s", "x");
        expected.put("i", -42L);
        expected.put("d", 150.0);
        expected.put("t", true);
        expected.put("f", false);
        expected.put("n", null);
        expected.put("a", List.of(1L, List.of(2L, List.of(3L, List.of())), Map.of()));
        expected.put("o", Map.of("k", "v"));
        assertThat(value).isEqualTo(expected);
        assertThat(((Map<String, Object>) value).keySet()).containsExactly("s", "i", "d", "t", "f", "n", "a", "o");
    }

    @Test
    void decodesEveryEscapeIncludingUnicodeAndSurrogatePairs() {
        assertThat(Json.parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9\\u4E2D \\ud83d\\ude00\""))
                .isEqualTo("q\" b\\ s/ \b\f\n\r\t é中 😀");
    }

    @Test
    void writesCompactJsonEscapingOnlyWhatMustBeEscaped() {
        Map<String, Object> value = Json.object("text", "a\"b\\c\nd\u0001é中😀\u2028", "list", List.of(1, 2.5, -0.25f),
                "none", null, "yes", true);

        assertThat(Json.write(value)).isEqualTo(
                "{\"text\":\"a\\\"b\\\\c\\nd\\u0001é中😀\\u2028\",\"list\":[1,2.5,-0.25],\"none\":null,\"yes\":true}");
    }

    @Test
    void writesUnpairedSurrogatesAsEscapesSoTheTextStaysValidUtf8() {
        assertThat(Json.write("x\ud800y\udc00")).isEqualTo("\"x\\ud800y\\udc00\"");
        assertThat(Json.parse(Json.write("x\ud800y\udc00"))).isEqualTo("x\ud800y\udc00");
    }

    @Test
    void roundTripsNestedArraysObjectsAndUnicode() {
        Object value = Json.parse("{\"deep\":[[[[\"\\u0000\\u001f\\\"\"]]],[{\"\\u00fc\":[true,null,-0.5,1e-7]}]],"
                + "\"emoji\":\"\\ud83e\\udd16 robot\",\"big\":123456789012345678901234567890}");

        String written = Json.write(value);

        assertThat(Json.parse(written)).isEqualTo(value);
        assertThat(written).isEqualTo("{\"deep\":[[[[\"\\u0000\\u001f\\\"\"]]],[{\"ü\":[true,null,-0.5,1.0E-7]}]],"
                + "\"emoji\":\"🤖 robot\",\"big\":123456789012345678901234567890}");
        assertThat(((Map<?, ?>) value).get("big")).isEqualTo(new BigInteger("123456789012345678901234567890"));
    }

    @Test
    void keepsLongRangeIntegersAsLongs() {
        assertThat(Json.parse("[9223372036854775807,-9223372036854775808,9223372036854775808]")).isEqualTo(
                List.of(Long.MAX_VALUE, Long.MIN_VALUE, new BigInteger("9223372036854775808")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "                         | Unexpected end of input, expected a value at offset 0",
        "{\"a\":1,}               | Unexpected character '}', expected a string key at offset 7",
        "[1,]                     | Unexpected character ']', expected a value at offset 3",
        "[1 2]                    | Unexpected character '2', expected ',' or ']' at offset 3",
        "{\"a\" 1}                | Unexpected character '1', expected ':' at offset 5",
        "{'a':1}                  | Unexpected character ''', expected a string key at offset 1",
        "{\"a\":1,\"a\":2}        | Duplicate key \"a\" at offset 7",
        "\"abc                    | Unterminated string at offset 4",
        "\"a\\qb\"                | Invalid escape '\\q' at offset 2",
        "\"\\u12g4\"              | Invalid \\u escape: expected 4 hex digits at offset 1",
        "012                      | Leading zeros are not allowed in numbers at offset 0",
        "-                        | Unexpected end of input, expected a digit at offset 1",
        "1.                       | Unexpected end of input, expected a digit after the decimal point at offset 2",
        "1e+                      | Unexpected end of input, expected a digit in the exponent at offset 3",
        "1e999                    | Number out of range at offset 0",
        "tru                      | Unexpected character 't', expected a value at offset 0",
        "nul1                     | Unexpected character 'n', expected a value at offset 0",
        "{} x                     | Unexpected content after the JSON value at offset 3",
        "NaN                      | Unexpected character 'N', expected a value at offset 0",
    })
    void rejectsMalformedTextNamingTheProblemAndOffset(String text, String message) {
        String input = text == null ? "" : text;
        assertThatThrownBy(() -> Json.parse(input)).isInstanceOf(JsonException.class).hasMessage(message);
    }

    @Test
    void rejectsRawControlCharactersInsideStrings() {
        assertThatThrownBy(() -> Json.parse("\"a\nb\""))
                .isInstanceOf(JsonException.class)
                .hasMessage("Unescaped control character U+000A in string at offset 2")
                .extracting(e -> ((JsonException) e).offset()).isEqualTo(2);
    }

    @Test
    void rejectsNestingDeeperThanTheLimitInsteadOfOverflowingTheStack() {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        String tooDeep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);

        assertThat(Json.parse(ok)).isInstanceOf(List.class);
        assertThatThrownBy(() -> Json.parse(tooDeep))
                .isInstanceOf(JsonException.class)
                .hasMessage("Nesting deeper than 256 levels at offset 256");
    }

    @Test
    void refusesToWriteWhatJsonCannotRepresent() {
        assertThatThrownBy(() -> Json.write(Double.NaN)).hasMessage("JSON has no representation for NaN");
        assertThatThrownBy(() -> Json.write(Map.of(1, "x"))).hasMessage("JSON object keys must be strings, got java.lang.Integer");
        assertThatThrownBy(() -> Json.write(new Object())).hasMessage("Cannot write java.lang.Object as JSON");
        assertThatThrownBy(() -> Json.object("odd")).hasMessage("object() needs key/value pairs, got 1 arguments");
    }

    @Test
    void writesIterablesAsArrays() {
        assertThat(Json.write(Arrays.asList("a", null))).isEqualTo("[\"a\",null]");
    }
}
