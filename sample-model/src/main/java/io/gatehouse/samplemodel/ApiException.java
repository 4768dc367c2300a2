package io.gatehouse.samplemodel;

import java.util.Map;

/** An OpenAI-style error response: {@code {"error":{"message","type","param","code"}}} with an HTTP status. */
class ApiException extends RuntimeException {

    static final String INVALID_REQUEST = "invalid_request_error";

    private final int status;
    private final String type;
    private final String param;
    private final String code;

    ApiException(int status, String type, String code, String param, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    static ApiException badRequest(String code, String param, String message) {
        return new ApiException(400, INVALID_REQUEST, code, param, message);
    }

    static ApiException modelNotFound(String model) {
        return new ApiException(404, INVALID_REQUEST, "model_not_found", "model",
                "The model `" + model + "` does not exist or you do not have access to it.");
    }

    int status() {
        return status;
    }

    Map<String, Object> body() {
        return Json.object("error", Json.object(
                "message", getMessage(),
                "type", type,
                "param", param,
                "code", code));
    }
}
