package io.gatehouse.spi;

import java.util.Map;
import java.util.Objects;

/**
 * What a request phase decided: pass the request on, deny it, or answer it on the gateway's behalf.
 */
public sealed interface Outcome permits Outcome.Proceed, Outcome.Deny, Outcome.Respond {

    /** Pass the request to the next step. */
    static Outcome proceed() {
        return Proceed.INSTANCE;
    }

    /** Deny with a problem+json answer (RFC 9457). */
    static Deny deny(int status, String title, String detail, DecidingRule rule) {
        return new Deny(status, title, detail, rule, Map.of());
    }

    /** Pass the request on. */
    final class Proceed implements Outcome {
        private static final Proceed INSTANCE = new Proceed();

        private Proceed() {
        }

        @Override
        public String toString() {
            return "Proceed";
        }
    }

    /**
     * Ends the exchange with an {@code application/problem+json} answer. The request never reaches
     * the model; the exchange is still completed (and so recorded).
     *
     * @param status  4xx or 5xx
     * @param title   a short, stable summary ("Token expired")
     * @param detail  what happened and what to do about it; never a secret
     * @param rule    the rule that decided
     * @param headers extra response headers, e.g. {@code WWW-Authenticate}, {@code Retry-After}
     */
    record Deny(int status, String title, String detail, DecidingRule rule, Map<String, String> headers)
            implements Outcome {
        public Deny {
            if (status < 400 || status > 599) {
                throw new IllegalArgumentException("a denial status must be 4xx or 5xx, got " + status);
            }
            Objects.requireNonNull(title, "title");
            Objects.requireNonNull(detail, "detail");
            Objects.requireNonNull(rule, "rule");
            headers = Map.copyOf(headers);
        }

        /** The same denial with one more response header. */
        public Deny withHeader(String name, String value) {
            Map<String, String> copy = new java.util.LinkedHashMap<>(headers);
            copy.put(name, value);
            return new Deny(status, title, detail, rule, copy);
        }
    }

    /**
     * Ends the exchange with an answer that is not an error, e.g. {@code 202 Accepted} for a request
     * held for approval. The request never reaches the model.
     */
    record Respond(int status, String contentType, byte[] body, Map<String, String> headers) implements Outcome {
        public Respond {
            Objects.requireNonNull(contentType, "contentType");
            body = body.clone();
            headers = Map.copyOf(headers);
        }

        @Override
        public byte[] body() {
            return body.clone();
        }
    }
}
