package io.gatehouse.gateway.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * How every protocol adapter reads a JSON body: once, strictly, so that the gateway and the model can
 * only read one meaning.
 *
 * <p>Why strict: a body with a key twice ({@code "model"}, {@code "max_tokens"}, or the same key spelled
 * with escapes such as {@code "m\u006fdel"}) is read as its last value by Jackson and as its first by
 * other parsers: the policy would judge one request and the model run another. Duplicates are detected
 * after unescaping, so every spelling counts. Nesting and number sizes are bounded too, so a hostile
 * body is a 400 here instead of a stack overflow or a huge number in some later step.
 */
public final class JsonBodies {

    /** Deeper than any real chat request or tool schema; far below what would exhaust a stack. */
    public static final int MAX_NESTING_DEPTH = 256;
    /** Digits in one number: more than any real value needs. */
    public static final int MAX_NUMBER_LENGTH = 100;

    private static final ObjectMapper STRICT = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_NESTING_DEPTH)
                    .maxNumberLength(MAX_NUMBER_LENGTH)
                    .build())
            .build());

    private JsonBodies() {
    }

    /**
     * Reads a JSON object.
     *
     * @throws MalformedRequestException naming what is wrong: not JSON, not an object, a key twice, too deep
     */
    public static JsonNode object(byte[] body) {
        try {
            JsonNode node = STRICT.readTree(body);
            if (node == null || !node.isObject()) {
                throw new MalformedRequestException("the request body must be a JSON object");
            }
            return node;
        } catch (StreamConstraintsException e) {
            throw new MalformedRequestException("the request body is outside this gateway's JSON limits (at most "
                    + MAX_NESTING_DEPTH + " levels of nesting and " + MAX_NUMBER_LENGTH + " digits in a number)");
        } catch (JsonParseException e) {
            String message = e.getOriginalMessage();
            if (message != null && message.startsWith("Duplicate field '")) {
                String key = message.substring("Duplicate field '".length(), message.lastIndexOf('\''));
                throw new MalformedRequestException("the request body has the key '" + key + "' more than once"
                        + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()
                        + "); send each key once");
            }
            throw notJson(e);
        } catch (JsonProcessingException e) {
            throw notJson(e);
        } catch (IOException e) {
            throw new MalformedRequestException("the request body could not be read as JSON");
        }
    }

    /**
     * The headers of a body the adapter will read as JSON: no content coding (the gateway would judge
     * compressed bytes it cannot read while the model inflates them), a JSON media type when one is named
     * (a form-encoded body is read as form fields by some servers and as JSON by others), UTF-8 only
     * (Jackson would detect UTF-16 or UTF-32 on its own; a server told another charset might not).
     */
    public static void checkJsonHeaders(io.gatehouse.spi.GatewayRequest request) {
        String coding = request.headers().first("Content-Encoding").orElse("identity").trim();
        if (!coding.equalsIgnoreCase("identity")) {
            throw new MalformedRequestException("request bodies with Content-Encoding '" + coding + "' are not"
                    + " accepted; send the JSON body uncompressed");
        }
        String type = request.headers().first("Content-Type").orElse(null);
        if (type == null) {
            return;
        }
        // -1 keeps empty parts: a Content-Type of ";" alone is one empty media type (refused below), not an
        // empty array (found by ProtocolAdaptersFuzzTest).
        String[] parts = type.split(";", -1);
        String media = parts[0].trim().toLowerCase(java.util.Locale.ROOT);
        if (!media.equals("application/json") && !media.endsWith("+json")) {
            throw new MalformedRequestException("the request body must be sent as Content-Type: application/json,"
                    + " got '" + media + "'");
        }
        for (int i = 1; i < parts.length; i++) {
            String[] param = parts[i].trim().split("=", 2);
            if (param.length == 2 && param[0].trim().equalsIgnoreCase("charset")) {
                String charset = param[1].trim().replace("\"", "");
                if (!charset.equalsIgnoreCase("utf-8") && !charset.equalsIgnoreCase("utf8")) {
                    throw new MalformedRequestException("the request body must be UTF-8, got charset '" + charset
                            + "'");
                }
            }
        }
    }

    private static MalformedRequestException notJson(JsonProcessingException e) {
        return new MalformedRequestException("the request body is not valid JSON (line "
                + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
    }
}
