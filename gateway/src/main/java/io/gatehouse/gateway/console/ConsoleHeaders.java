package io.gatehouse.gateway.console;

import io.gatehouse.spi.Headers;
import java.net.URI;

/**
 * The headers every console answer carries: a strict Content-Security-Policy (scripts, styles and data
 * from the console itself only; no inline script or style, no framing), the clickjacking and sniffing
 * guards, no referrer, no caching.
 */
final class ConsoleHeaders {

    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private ConsoleHeaders() {
    }

    static void secure(Headers headers, URI issuer) {
        headers.set("Content-Security-Policy", CSP);
        headers.set("X-Frame-Options", "DENY");
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("Referrer-Policy", "no-referrer");
        headers.set("Cross-Origin-Opener-Policy", "same-origin");
        if (!headers.contains("Cache-Control")) {
            headers.set("Cache-Control", "no-store");
        }
    }
}
