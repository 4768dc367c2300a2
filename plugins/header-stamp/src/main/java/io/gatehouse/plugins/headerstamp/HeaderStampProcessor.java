package io.gatehouse.plugins.headerstamp;

import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;

/**
 * Sets the configured header on the response, replacing any value the model server sent. Leaves the
 * request and the body alone. Thread-safe: holds only its config.
 */
public final class HeaderStampProcessor implements GatewayProcessor {

    private final String name;
    private final String value;

    HeaderStampProcessor(String name, String value) {
        this.name = name;
        this.value = value;
    }

    @Override
    public void onResponse(GatewayExchange exchange) {
        exchange.response().ifPresent(response -> response.headers().set(name, value));
    }

    @Override
    public String toString() {
        return "header-stamp[" + name + ": " + value + "]";
    }
}
