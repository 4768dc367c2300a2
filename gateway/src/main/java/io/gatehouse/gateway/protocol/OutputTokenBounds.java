package io.gatehouse.gateway.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.OptionalInt;

/**
 * Every field of a request body that bounds how many tokens the model may produce, as the model servers
 * behind the gateway read them: OpenAI {@code max_tokens}, {@code max_completion_tokens} (the SDKs'
 * current name) and {@code max_output_tokens} (Responses); llama.cpp {@code n_predict}; TGI
 * {@code max_new_tokens} and {@code parameters.max_new_tokens}; Ollama {@code options.num_predict}.
 *
 * <p>Why all of them: a server reads whichever it knows, so a policy that checked one field while the
 * request carried a larger value in another would be judging a different request than the model runs.
 * Each present field must be a whole number from 0 to 2,147,483,647 (a string, a fraction, a negative
 * "unbounded" value or 2^31 is refused), and the request's cap is the largest of them.
 */
final class OutputTokenBounds {

    /** JSON pointers of the fields, in the order their errors are reported. */
    private static final List<String> FIELDS = List.of("/max_tokens", "/max_completion_tokens",
            "/max_output_tokens", "/n_predict", "/max_new_tokens", "/parameters/max_new_tokens",
            "/options/num_predict");

    private OutputTokenBounds() {
    }

    /**
     * @return the largest cap any field asks for, or empty when no field is present (or all are null)
     * @throws MalformedRequestException naming the first field that is not a whole number in range
     */
    static OptionalInt of(JsonNode body) {
        int max = -1;
        for (String pointer : FIELDS) {
            JsonNode v = body.at(pointer);
            if (v.isMissingNode() || v.isNull()) {
                continue;
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
                throw new MalformedRequestException("'" + pointer.substring(1).replace('/', '.') + "' must be a whole"
                        + " number from 0 to 2147483647, got " + abbreviate(v.toString())
                        + "; leave it out for the gateway's default");
            }
            max = Math.max(max, v.intValue());
        }
        return max < 0 ? OptionalInt.empty() : OptionalInt.of(max);
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "…";
    }
}
