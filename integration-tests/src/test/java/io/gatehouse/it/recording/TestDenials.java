package io.gatehouse.it.recording;

import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;

/**
 * Two small steps that deny on request, standing in for policy (403) and rate limits (429), which
 * come in later issues: they deny when the request carries their header.
 */
final class TestDenials {

    private TestDenials() {
    }

    /** Config of both: the header that triggers the denial. */
    record TriggerConfig(String header) {
    }

    /** {@code test-forbid}: 403 when the header is present. */
    static final class Forbid implements ProcessorFactory<TriggerConfig> {
        @Override
        public String id() {
            return "test-forbid";
        }

        @Override
        public Class<TriggerConfig> configType() {
            return TriggerConfig.class;
        }

        @Override
        public Phase phase() {
            return Phase.AUTHORIZE;
        }

        @Override
        public GatewayProcessor create(TriggerConfig config, EndpointContext endpoint) {
            return new GatewayProcessor() {
                @Override
                public Outcome onRequest(GatewayExchange exchange) {
                    return exchange.request().headers().contains(config.header())
                            ? Outcome.deny(403, "Forbidden", "group analysts may not use this model",
                            new DecidingRule("test-policy", "analysts-small-only", "model not allowed for analysts"))
                            : Outcome.proceed();
                }
            };
        }
    }

    /** {@code test-rate}: 429 with Retry-After when the header is present. */
    static final class Rate implements ProcessorFactory<TriggerConfig> {
        @Override
        public String id() {
            return "test-rate";
        }

        @Override
        public Class<TriggerConfig> configType() {
            return TriggerConfig.class;
        }

        @Override
        public Phase phase() {
            return Phase.AUTHORIZE;
        }

        @Override
        public GatewayProcessor create(TriggerConfig config, EndpointContext endpoint) {
            return new GatewayProcessor() {
                @Override
                public Outcome onRequest(GatewayExchange exchange) {
                    return exchange.request().headers().contains(config.header())
                            ? Outcome.deny(429, "Too many requests", "10 requests per minute for analysts",
                            new DecidingRule("test-rate", "analysts-per-minute", "11 > 10 in 1m"))
                            .withHeader("Retry-After", "6")
                            : Outcome.proceed();
                }
            };
        }
    }
}
