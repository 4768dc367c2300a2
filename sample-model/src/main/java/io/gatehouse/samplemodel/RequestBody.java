package io.gatehouse.samplemodel;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** A parsed JSON request object with typed field access that fails with OpenAI-style 400 errors. */
final class RequestBody {

    private final Map<String, Object> fields;

    private RequestBody(Map<String, Object> fields) {
        this.fields = fields;
    }

    static RequestBody parse(byte[] bytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest("invalid_json", null, "The request body is not valid UTF-8.");
        }
        Object value;
        try {
            value = Json.parse(text);
        } catch (JsonException e) {
            throw ApiException.badRequest("invalid_json", null,
                    "We could not parse the JSON body of your request: " + e.getMessage() + ".");
        }
        if (!(value instanceof Map<?, ?>)) {
            throw ApiException.badRequest("invalid_json", null,
                    "The request body must be a JSON object, but got " + typeName(value) + " instead.");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) value;
        return new RequestBody(map);
    }

    /** Absent and JSON null both count as "not given", as in the OpenAI API. */
    boolean has(String field) {
        return fields.get(field) != null;
    }

    Object get(String field) {
        return fields.get(field);
    }

    String requireString(String field) {
        return require(field, String.class, "a string");
    }

    List<Object> requireArray(String field) {
        @SuppressWarnings("unchecked")
        List<Object> list = require(field, List.class, "an array");
        return list;
    }

    boolean optionalBoolean(String field, boolean fallback) {
        return has(field) ? require(field, Boolean.class, "a boolean") : fallback;
    }

    Map<String, Object> optionalObject(String field) {
        if (!has(field)) {
            return Map.of();
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = require(field, Map.class, "an object");
        return map;
    }

    String optionalString(String field, String fallback) {
        return has(field) ? requireString(field) : fallback;
    }

    /** An integer within [min, max], or {@code fallback} when absent. */
    Integer optionalInt(String field, Integer fallback, int min, int max) {
        if (!has(field)) {
            return fallback;
        }
        return checkRange(field, fields.get(field), min, max);
    }

    static int checkRange(String field, Object value, long min, long max) {
        if (!(value instanceof Long) && !(value instanceof java.math.BigInteger)) {
            throw invalidType(field, "an integer", value);
        }
        Number n = (Number) value;
        boolean big = value instanceof java.math.BigInteger;
        if ((big && n.doubleValue() < 0) || (!big && n.longValue() < min)) {
            throw ApiException.badRequest("integer_below_min_value", field, "Invalid '" + field
                    + "': integer below minimum value. Expected a value >= " + min + ", but got " + n + " instead.");
        }
        if (big || n.longValue() > max) {
            throw ApiException.badRequest("integer_above_max_value", field, "Invalid '" + field
                    + "': integer above maximum value. Expected a value <= " + max + ", but got " + n + " instead.");
        }
        return n.intValue();
    }

    private <T> T require(String field, Class<T> type, String expected) {
        Object value = fields.get(field);
        if (value == null) {
            throw ApiException.badRequest("missing_required_parameter", field,
                    "Missing required parameter: '" + field + "'.");
        }
        if (!type.isInstance(value)) {
            throw invalidType(field, expected, value);
        }
        return type.cast(value);
    }

    static ApiException invalidType(String field, String expected, Object value) {
        return ApiException.badRequest("invalid_type", field, "Invalid type for '" + field + "': expected "
                + expected + ", but got " + typeName(value) + " instead.");
    }

    static String typeName(Object value) {
        if (value == null) {
            return "null";
        } else if (value instanceof String) {
            return "a string";
        } else if (value instanceof Boolean) {
            return "a boolean";
        } else if (value instanceof Long || value instanceof java.math.BigInteger) {
            return "an integer";
        } else if (value instanceof Number) {
            return "a decimal";
        } else if (value instanceof List) {
            return "an array";
        }
        return "an object";
    }
}
