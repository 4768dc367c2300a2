package io.gatehouse.samplemodel;

import java.util.Map;

/** An error in the shape of the API that raised it (Ollama, TGI, llama.cpp, vLLM), not OpenAI's. */
final class ShapedError extends ApiException {

    private final Map<String, Object> body;

    ShapedError(int status, String message, Map<String, Object> body) {
        super(status, INVALID_REQUEST, null, null, message);
        this.body = body;
    }

    @Override
    Map<String, Object> body() {
        return body;
    }

    /** Ollama: {@code {"error": "..."}}. */
    static ShapedError ollama(int status, String message) {
        return new ShapedError(status, message, Json.object("error", message));
    }
}
