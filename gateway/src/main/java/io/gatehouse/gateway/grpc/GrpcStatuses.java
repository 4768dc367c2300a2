package io.gatehouse.gateway.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.Locale;
import java.util.Map;

/**
 * The gateway's answers in gRPC terms: an HTTP status becomes the gRPC code a client library acts on,
 * and what the problem+json body says goes into the status message and trailers.
 */
final class GrpcStatuses {

    static final Metadata.Key<String> REQUEST_ID = key("gatehouse-request-id");
    static final Metadata.Key<String> POLICY = key("gatehouse-policy");
    static final Metadata.Key<String> RULE = key("gatehouse-rule");
    static final Metadata.Key<String> APPROVAL_ID = key("gatehouse-approval-id");
    /** Headers of a denial that mean something to a gRPC client too, copied into the trailers. */
    private static final String[] COPIED = {"WWW-Authenticate", "Retry-After", "Location"};

    private GrpcStatuses() {
    }

    static Status.Code code(int httpStatus) {
        return switch (httpStatus) {
            case 400 -> Status.Code.INVALID_ARGUMENT;
            case 401 -> Status.Code.UNAUTHENTICATED;
            case 403 -> Status.Code.PERMISSION_DENIED;
            case 404 -> Status.Code.NOT_FOUND;
            case 405, 501 -> Status.Code.UNIMPLEMENTED;
            case 408, 504 -> Status.Code.DEADLINE_EXCEEDED;
            case 409, 412, 428, 202 -> Status.Code.FAILED_PRECONDITION;
            case 413, 429, 431 -> Status.Code.RESOURCE_EXHAUSTED;
            case 499 -> Status.Code.CANCELLED;
            case 502, 503 -> Status.Code.UNAVAILABLE;
            default -> httpStatus >= 500 ? Status.Code.INTERNAL : Status.Code.UNKNOWN;
        };
    }

    /**
     * A problem answer as a status: its code, {@code title: detail (policy P, rule R)} as the message,
     * policy and rule, and the copied headers in the trailers (the caller adds the request id).
     */
    static Status problem(int httpStatus, JsonNode problem, Map<String, String> headers, String requestId,
                          Metadata trailers) {
        String title = problem.path("title").asText("Error");
        String detail = problem.path("detail").asText("");
        StringBuilder message = new StringBuilder(title);
        if (!detail.isEmpty()) {
            message.append(": ").append(detail);
        }
        String policy = problem.path("policy").asText(null);
        String rule = problem.path("rule").asText(null);
        if (policy != null && rule != null) {
            message.append(" (policy ").append(policy).append(", rule ").append(rule).append(')');
            trailers.put(POLICY, policy);
            trailers.put(RULE, rule);
        }
        copy(headers, trailers);
        return Status.fromCode(code(httpStatus)).withDescription(message.toString());
    }

    /** A request held for approval (HTTP's 202): FAILED_PRECONDITION with the approval's id. */
    static Status held(JsonNode body, Map<String, String> headers, String requestId, Metadata trailers) {
        String id = body.path("id").asText("");
        trailers.put(APPROVAL_ID, id);
        copy(headers, trailers);
        return Status.FAILED_PRECONDITION.withDescription("Approval required: " + body.path("summary").asText("")
                + " is held as approval " + id + " until " + body.path("expiresAt").asText("")
                + "; once approved, call again with the same request and metadata gatehouse-approval: " + id);
    }

    private static void copy(Map<String, String> headers, Metadata trailers) {
        for (String name : COPIED) {
            headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).findFirst()
                    .ifPresent(e -> trailers.put(key(name.toLowerCase(Locale.ROOT)), e.getValue()));
        }
    }

    static Metadata.Key<String> key(String name) {
        return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    }
}
