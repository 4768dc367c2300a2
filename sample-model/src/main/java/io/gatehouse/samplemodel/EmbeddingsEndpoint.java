package io.gatehouse.samplemodel;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/embeddings}: a deterministic unit vector per input, derived from SHA-256 of the model
 * name and the input text, so the same input always gets the same vector. {@code dimensions} (default
 * {@value #DEFAULT_DIMENSIONS}) and {@code encoding_format} {@code float|base64} are honoured.
 */
final class EmbeddingsEndpoint implements Endpoint {

    static final int DEFAULT_DIMENSIONS = 8;
    static final int MAX_DIMENSIONS = 4096;
    /** OpenAI's limit on inputs per request. */
    static final int MAX_INPUTS = 2048;

    private final ServerContext context;

    EmbeddingsEndpoint(ServerContext context) {
        this.context = context;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        RequestBody body = HttpIo.readJson(exchange);
        String model = context.requireModel(body);
        List<String> inputs = inputs(body);
        int dimensions = body.optionalInt("dimensions", DEFAULT_DIMENSIONS, 1, MAX_DIMENSIONS);
        String format = body.optionalString("encoding_format", "float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiException.badRequest("invalid_value", "encoding_format", "Invalid value for 'encoding_format': "
                    + "expected 'float' or 'base64', but got '" + format + "' instead.");
        }
        List<Object> data = new ArrayList<>();
        int words = 0;
        for (int i = 0; i < inputs.size(); i++) {
            float[] vector = vector(model, inputs.get(i), dimensions);
            data.add(Json.object("object", "embedding", "index", i,
                    "embedding", format.equals("base64") ? base64(vector) : floats(vector)));
            words += Words.count(inputs.get(i));
        }
        HttpIo.sendJson(exchange, 200, Json.object(
                "object", "list",
                "data", data,
                "model", model,
                "usage", Json.object("prompt_tokens", words, "total_tokens", words)));
    }

    private static List<String> inputs(RequestBody body) {
        Object input = body.get("input");
        if (input == null) {
            throw ApiException.badRequest("missing_required_parameter", "input", "Missing required parameter: 'input'.");
        }
        if (input instanceof String s) {
            return List.of(s);
        }
        if (!(input instanceof List<?> list)) {
            throw RequestBody.invalidType("input", "a string or an array of strings", input);
        }
        if (list.isEmpty()) {
            throw ApiException.badRequest("empty_array", "input", "Invalid 'input': empty array. "
                    + "Expected an array with minimum length 1, but got an empty array instead.");
        }
        if (list.size() > MAX_INPUTS) {
            throw ApiException.badRequest("array_above_max_length", "input", "Invalid 'input': array too long. "
                    + "Expected an array with maximum length " + MAX_INPUTS + ", but got an array with length "
                    + list.size() + " instead.");
        }
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String s)) {
                throw RequestBody.invalidType("input[" + i + "]", "a string", list.get(i));
            }
            inputs.add(s);
        }
        return inputs;
    }

    /** SHA-256(model, counter, input) stretched to {@code dimensions} signed components, scaled to length 1. */
    static float[] vector(String model, String input, int dimensions) {
        float[] vector = new float[dimensions];
        MessageDigest sha256 = sha256();
        byte[] text = (model + '\u0000' + input).getBytes(StandardCharsets.UTF_8);
        double sumOfSquares = 0;
        for (int block = 0; block * 8 < dimensions; block++) {
            sha256.update(ByteBuffer.allocate(4).putInt(block).array());
            ByteBuffer digest = ByteBuffer.wrap(sha256.digest(text)); // 32 bytes = 8 ints
            for (int i = block * 8; i < Math.min(dimensions, block * 8 + 8); i++) {
                vector[i] = digest.getInt() / (float) (1L << 31);
                sumOfSquares += (double) vector[i] * vector[i];
            }
        }
        double norm = Math.sqrt(sumOfSquares);
        for (int i = 0; i < dimensions && norm > 0; i++) {
            vector[i] = (float) (vector[i] / norm);
        }
        return vector;
    }

    private static List<Float> floats(float[] vector) {
        List<Float> list = new ArrayList<>(vector.length);
        for (float f : vector) {
            list.add(f);
        }
        return list;
    }

    /** OpenAI's base64 format: the float32 values, little-endian, base64-encoded. */
    private static String base64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : vector) {
            bytes.putFloat(f);
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }
}
