package io.gatehouse.gateway.http;

/**
 * Why the listener refuses a request before any endpoint may act on it (its framing, target or method),
 * carried to the endpoint's route so the refusal is answered and recorded there. The connection is
 * always closed after such an answer: after a framing error nothing that follows on it can be trusted.
 */
public record Refusal(int status, String title, String detail, String rule) {

    /** The request-head header the listener sets for the route; any client-sent value is removed first. */
    public static final String HEADER = "Gatehouse-Listener-Refusal";

    static Refusal badFraming(String detail) {
        return new Refusal(400, "Bad request framing", detail, "bad-framing");
    }

    static Refusal badTarget(String detail) {
        return new Refusal(400, "Bad request target", detail, "bad-target");
    }

    static Refusal method(String detail) {
        return new Refusal(405, "Method not allowed", detail, "method-not-allowed");
    }

    /** As one header value: {@code status \t rule \t title \t detail}. */
    String encode() {
        return status + "\t" + rule + "\t" + title + "\t" + detail.replace('\t', ' ').replace('\r', ' ')
                .replace('\n', ' ');
    }

    /** @return the refusal a header value holds, or null when the value is not one */
    public static Refusal decode(String value) {
        if (value == null) {
            return null;
        }
        String[] parts = value.split("\t", 4);
        if (parts.length != 4) {
            return null;
        }
        try {
            return new Refusal(Integer.parseInt(parts[0]), parts[2], parts[3], parts[1]);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    Problem problem() {
        return Problem.of(status, title, detail);
    }
}
