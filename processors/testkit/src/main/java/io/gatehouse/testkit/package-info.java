/**
 * Runs one {@link io.gatehouse.spi.GatewayProcessor} on an in-memory exchange, without a gateway,
 * Camel or a network.
 *
 * <pre>{@code
 * try (var harness = ProcessorHarness.of(new LimitsProcessorFactory(), LimitsConfig.defaults())) {
 *     TestExchange exchange = TestExchange.post("/v1/chat/completions").body("{}").build();
 *     Outcome outcome = harness.request(exchange);
 *     byte[] body = harness.respond(exchange, 200, new Headers(), "{}".getBytes(UTF_8));
 * }
 * }</pre>
 *
 * <p>The harness enforces the SPI's contract the way the gateway does and names the offender:
 * only an {@link io.gatehouse.spi.Phase#AUTHENTICATE} step may set the identity, a request phase
 * must not return null, transformers and observers are attached in {@code onResponse} only,
 * {@code onComplete} must not throw.
 */
package io.gatehouse.testkit;
