package io.gatehouse.processors.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.StandardAttributes;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.TestExchange;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LimitsProcessorTest {

    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    private final ProcessorHarness<LimitsConfig> defaults =
            ProcessorHarness.of(new LimitsProcessorFactory(), LimitsConfig.defaults());

    @AfterEach
    void close() {
        defaults.close();
    }

    @Test
    void aBodyOverTheLimitIsDenied413AndNamesTheRule() {
        TestExchange exchange = TestExchange.post("/v1/chat/completions").body(new byte[2 * 1024 * 1024]).build();

        Outcome outcome = defaults.request(exchange);

        assertThat(outcome).isEqualTo(new Outcome.Deny(413, "Payload too large",
                "request body is 2097152 bytes; this endpoint accepts at most 1048576 bytes (limits.maxBodyBytes)",
                new DecidingRule("limits", "max-body-bytes", "body 2097152 bytes > 1048576"), Map.of()));
        assertThat(exchange.attributes().get(StandardAttributes.DEADLINE)).isEmpty();
    }

    @Test
    void aBodyOfExactlyTheLimitProceeds() {
        try (var harness = ProcessorHarness.of(new LimitsProcessorFactory(),
                new LimitsConfig(ByteSize.ofBytes(10), null, null))) {
            assertThat(harness.request(TestExchange.post("/").body("0123456789").build())).isSameAs(Outcome.proceed());
            assertThat(harness.request(TestExchange.post("/").body("0123456789a").build()))
                    .isInstanceOf(Outcome.Deny.class);
        }
    }

    @Test
    void headersOverTheLimitAreDenied431CountedAsOnTheWire() {
        try (var harness = ProcessorHarness.of(new LimitsProcessorFactory(),
                new LimitsConfig(null, ByteSize.ofBytes(40), null))) {
            // "Authorization: Bearer abc\r\n" is 27 bytes, "X-Trace: 0123456789\r\n" is 21: 48 in all.
            TestExchange exchange = TestExchange.post("/v1/completions")
                    .header("Authorization", "Bearer abc").header("X-Trace", "0123456789").build();

            Outcome outcome = harness.request(exchange);

            assertThat(outcome).isEqualTo(new Outcome.Deny(431, "Request header fields too large",
                    "request headers are 48 bytes; this endpoint accepts at most 40 bytes (limits.maxHeaderBytes)",
                    new DecidingRule("limits", "max-header-bytes", "headers 48 bytes > 40"), Map.of()));
        }
    }

    @Test
    void headersOfExactlyTheLimitProceed() {
        try (var harness = ProcessorHarness.of(new LimitsProcessorFactory(),
                new LimitsConfig(null, ByteSize.ofBytes(48), null))) {
            TestExchange exchange = TestExchange.post("/v1/completions")
                    .header("Authorization", "Bearer abc").header("X-Trace", "0123456789").build();

            assertThat(harness.request(exchange)).isSameAs(Outcome.proceed());
        }
    }

    @Test
    void theDefaultHeaderLimitIs16KiB() {
        TestExchange exchange = TestExchange.get("/v1/models").header("X-Big", "x".repeat(16 * 1024)).build();

        assertThat(((Outcome.Deny) defaults.request(exchange)).detail()).isEqualTo(
                "request headers are 16393 bytes; this endpoint accepts at most 16384 bytes (limits.maxHeaderBytes)");
    }

    @Test
    void aPassingRequestGetsADeadlineOfNowPlusTheTimeoutOnTheEndpointClock() {
        defaults.clock().advance(Duration.ofSeconds(7));
        TestExchange exchange = TestExchange.post("/v1/chat/completions").body("{}").build();

        assertThat(defaults.request(exchange)).isSameAs(Outcome.proceed());
        assertThat(exchange.attributes().get(StandardAttributes.DEADLINE)).contains(START.plusSeconds(127));
    }

    @Test
    void anEarlierDeadlineSetByAnotherStepIsKept() {
        Instant earlier = START.plusSeconds(30);
        TestExchange exchange = TestExchange.post("/").attribute(StandardAttributes.DEADLINE, earlier).build();

        defaults.request(exchange);

        assertThat(exchange.attributes().get(StandardAttributes.DEADLINE)).contains(earlier);
    }

    @Test
    void aLaterDeadlineIsShortened() {
        TestExchange exchange = TestExchange.post("/")
                .attribute(StandardAttributes.DEADLINE, START.plusSeconds(600)).build();

        defaults.request(exchange);

        assertThat(exchange.attributes().get(StandardAttributes.DEADLINE)).contains(START.plusSeconds(120));
    }

    @Test
    void theProcessorShowsItsConfig() {
        assertThat(defaults.processor()).hasToString(
                "limits[maxBodyBytes=1048576, maxHeaderBytes=16384, requestTimeout=2m]");
    }
}
