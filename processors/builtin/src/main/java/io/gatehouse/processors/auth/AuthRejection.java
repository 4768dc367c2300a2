package io.gatehouse.processors.auth;

import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Outcome;
import java.time.Duration;
import java.util.Set;

/**
 * Why a request was not authenticated, and how to answer it: RFC 6750 §3 for bearer tokens, RFC 9470
 * for a sign-in that is too weak or too old, 503 when the identity provider's keys cannot be had.
 * The detail says what is wrong and what to do; it never holds the token or a secret, and
 * caller-supplied values in it are passed through {@link #safe}. The reason is a short stable code,
 * the rule of the denial and a metrics tag.
 */
final class AuthRejection extends Exception {

    static final String REALM = "gatehouse";
    static final String SEND_BEARER = "send Authorization: Bearer <access token>";

    enum Kind { MISSING_TOKEN, INVALID_REQUEST, INVALID_TOKEN, INSUFFICIENT_AUTHENTICATION, UNAVAILABLE }

    private final Kind kind;
    private final String reason;
    private final Set<String> acrValues;
    private final Duration maxAge;
    private final Duration retryAfter;

    private AuthRejection(Kind kind, String reason, String detail, Set<String> acrValues, Duration maxAge,
                          Duration retryAfter) {
        super(detail, null, false, false);
        this.kind = kind;
        this.reason = reason;
        this.acrValues = acrValues;
        this.maxAge = maxAge;
        this.retryAfter = retryAfter;
    }

    /** No credentials, or credentials of another scheme: a plain challenge, no error code. */
    static AuthRejection missingToken(String detail) {
        return new AuthRejection(Kind.MISSING_TOKEN, "missing-token", detail, Set.of(), null, null);
    }

    static AuthRejection invalidRequest(String reason, String detail) {
        return new AuthRejection(Kind.INVALID_REQUEST, reason, detail, Set.of(), null, null);
    }

    static AuthRejection invalidToken(String reason, String detail) {
        return new AuthRejection(Kind.INVALID_TOKEN, reason, detail, Set.of(), null, null);
    }

    /**
     * RFC 9470: the token is valid but its sign-in does not meet what this request needs.
     *
     * @param acrValues acr values that would do, for the challenge's {@code acr_values}; may be empty
     * @param maxAge    the sign-in age allowed, for the challenge's {@code max_age}; may be null
     */
    static AuthRejection insufficientAuthentication(String reason, String detail, Set<String> acrValues,
                                                    Duration maxAge) {
        return new AuthRejection(Kind.INSUFFICIENT_AUTHENTICATION, reason, detail, acrValues, maxAge, null);
    }

    /** The identity provider's keys cannot be had: fail closed. */
    static AuthRejection unavailable(String detail, Duration retryAfter) {
        return new AuthRejection(Kind.UNAVAILABLE, "idp-unavailable", detail, Set.of(), null, retryAfter);
    }

    String reason() {
        return reason;
    }

    Kind kind() {
        return kind;
    }

    Outcome.Deny toDeny() {
        String detail = getMessage();
        DecidingRule rule = new DecidingRule(AuthProcessorFactory.ID, reason, detail);
        return switch (kind) {
            case MISSING_TOKEN -> Outcome.deny(401, "Authentication required", detail, rule)
                    .withHeader("WWW-Authenticate", "Bearer realm=\"" + REALM + "\"");
            case INVALID_REQUEST -> Outcome.deny(400, "Invalid request", detail, rule)
                    .withHeader("WWW-Authenticate", challenge("invalid_request", detail));
            case INVALID_TOKEN -> Outcome.deny(401, "Invalid token", detail, rule)
                    .withHeader("WWW-Authenticate", challenge("invalid_token", detail));
            case INSUFFICIENT_AUTHENTICATION -> Outcome.deny(401, "Insufficient authentication", detail, rule)
                    .withHeader("WWW-Authenticate", challenge("insufficient_user_authentication", detail)
                            + (acrValues.isEmpty() ? "" : ", acr_values=\"" + describe(String.join(" ", acrValues)) + "\"")
                            + (maxAge == null ? "" : ", max_age=\"" + maxAge.toSeconds() + "\""));
            case UNAVAILABLE -> Outcome.deny(503, "Identity provider unavailable", detail, rule)
                    .withHeader("Retry-After", Long.toString(Math.max(1, retryAfter.toSeconds())));
        };
    }

    private static String challenge(String error, String description) {
        return "Bearer realm=\"" + REALM + "\", error=\"" + error + "\", error_description=\""
                + describe(description) + "\"";
    }

    /** RFC 6750 error_description: %x20-21 / %x23-5B / %x5D-7E; anything else, and quotes, become '?'. */
    static String describe(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            out.append(c < 0x20 || c > 0x7E || c == '"' || c == '\\' ? '?' : c);
        }
        return out.toString();
    }

    /** A caller-supplied value fit to quote in a detail: printable ASCII without quotes, at most 80 characters. */
    static String safe(String value) {
        if (value == null) {
            return "(none)";
        }
        String shown = value.length() > 80 ? value.substring(0, 80) + "..." : value;
        StringBuilder out = new StringBuilder(shown.length());
        for (int i = 0; i < shown.length(); i++) {
            char c = shown.charAt(i);
            out.append(c < 0x20 || c > 0x7E || c == '"' || c == '\\' || c == '\'' || c == '`' ? '?' : c);
        }
        return out.toString();
    }
}
