package io.gatehouse.samplemodel;

import com.sun.net.httpserver.HttpExchange;
import java.io.InterruptedIOException;
import java.time.Duration;

/** The pause between streamed words: the server's token delay, or the request's {@value #TOKEN_DELAY_HEADER}. */
final class Pacing {

    /** Request header that overrides the server's token delay for one request. */
    static final String TOKEN_DELAY_HEADER = "X-Sample-Token-Delay-Ms";
    static final int MAX_TOKEN_DELAY_MS = 60_000;

    private Pacing() {
    }

    static Duration tokenDelay(HttpExchange exchange, ServerContext context) {
        String header = exchange.getRequestHeaders().getFirst(TOKEN_DELAY_HEADER);
        if (header == null) {
            return context.settings().tokenDelay();
        }
        try {
            int millis = Integer.parseInt(header.strip());
            if (millis >= 0 && millis <= MAX_TOKEN_DELAY_MS) {
                return Duration.ofMillis(millis);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ApiException.badRequest("invalid_header", null, "Invalid " + TOKEN_DELAY_HEADER
                + " header: expected an integer from 0 to " + MAX_TOKEN_DELAY_MS + " (milliseconds), but got '"
                + header + "'.");
    }

    static void sleep(Duration delay) throws InterruptedIOException {
        if (delay.isZero()) {
            return;
        }
        try {
            Thread.sleep(delay.toMillis(), delay.toNanosPart() % 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("stream interrupted: the server is stopping");
        }
    }
}
