package io.gatehouse.processors.limits;

import io.gatehouse.processors.support.Durations;
import io.gatehouse.spi.Attributes;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.StandardAttributes;
import java.time.Clock;
import java.time.Instant;

/**
 * Refuses a request whose headers or body are larger than configured, and sets the exchange's
 * deadline ({@link StandardAttributes#DEADLINE}), only ever moving it earlier. The gateway enforces
 * the deadline, streaming included. Thread-safe: holds only its config.
 */
public final class LimitsProcessor implements GatewayProcessor {

    private final LimitsConfig config;
    private final Clock clock;

    LimitsProcessor(LimitsConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
    }

    @Override
    public Outcome onRequest(GatewayExchange exchange) {
        long headerBytes = exchange.request().headers().wireSize();
        long maxHeaders = config.maxHeaderBytes().bytes();
        if (headerBytes > maxHeaders) {
            return Outcome.deny(431, "Request header fields too large",
                    "request headers are " + headerBytes + " bytes; this endpoint accepts at most " + maxHeaders
                            + " bytes (limits.maxHeaderBytes)",
                    new DecidingRule(LimitsProcessorFactory.ID, "max-header-bytes",
                            "headers " + headerBytes + " bytes > " + maxHeaders));
        }
        long bodyBytes = exchange.request().body().length;
        long maxBody = config.maxBodyBytes().bytes();
        if (bodyBytes > maxBody) {
            return Outcome.deny(413, "Payload too large",
                    "request body is " + bodyBytes + " bytes; this endpoint accepts at most " + maxBody
                            + " bytes (limits.maxBodyBytes)",
                    new DecidingRule(LimitsProcessorFactory.ID, "max-body-bytes",
                            "body " + bodyBytes + " bytes > " + maxBody));
        }
        shortenDeadline(exchange.attributes(), clock.instant().plus(config.requestTimeout()));
        return Outcome.proceed();
    }

    private static void shortenDeadline(Attributes attributes, Instant deadline) {
        Instant current = attributes.get(StandardAttributes.DEADLINE).orElse(null);
        if (current == null || deadline.isBefore(current)) {
            attributes.put(StandardAttributes.DEADLINE, deadline);
        }
    }

    @Override
    public String toString() {
        return "limits[maxBodyBytes=" + config.maxBodyBytes().bytes() + ", maxHeaderBytes="
                + config.maxHeaderBytes().bytes() + ", requestTimeout=" + Durations.format(config.requestTimeout())
                + "]";
    }
}
