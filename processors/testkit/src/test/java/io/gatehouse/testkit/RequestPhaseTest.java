package io.gatehouse.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.AttributeKey;
import io.gatehouse.spi.Completion;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.Phase;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

class RequestPhaseTest {

    private static final AttributeKey<Instant> SEEN_AT = AttributeKey.of("test.seen-at", Instant.class);

    @Test
    void theProcessorGetsEndpointTestProtocolRawAndAClockTheTestMoves() {
        AtomicReference<EndpointContext> seen = new AtomicReference<>();
        try (var harness = ProcessorHarness.of(Steps.capturing(seen), new Steps.NoConfig())) {
            EndpointContext endpoint = seen.get();
            assertThat(endpoint.endpointId()).isEqualTo("test");
            assertThat(endpoint.protocol()).isEqualTo("raw");
            assertThat(endpoint.stepId()).isEqualTo("test.capture");
            assertThat(endpoint.clock().instant()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));

            harness.clock().advance(Duration.ofMinutes(5));

            assertThat(endpoint.clock().instant()).isEqualTo(Instant.parse("2026-01-01T00:05:00Z"));
        }
    }

    @Test
    void theBuilderSetsEndpointProtocolAndClock() {
        AtomicReference<EndpointContext> seen = new AtomicReference<>();
        TestClock clock = TestClock.at(Instant.parse("2030-05-05T10:00:00Z"));
        try (var harness = ProcessorHarness.builder(Steps.capturing(seen), new Steps.NoConfig())
                .endpointId("chat").protocol("openai").pathPrefix("/v1").clock(clock).build()) {
            assertThat(seen.get()).isEqualTo(new EndpointContext("chat", "openai", "chat.capture", "/v1", clock));
            assertThat(harness.endpoint()).isSameAs(seen.get());
        }
    }

    @Test
    void anAsynchronousOutcomeIsAwaited() {
        GatewayProcessor later = new GatewayProcessor() {
            @Override
            public CompletionStage<Outcome> onRequestAsync(GatewayExchange exchange) {
                return CompletableFuture.supplyAsync(() -> {
                    exchange.attributes().put(SEEN_AT, Instant.EPOCH);
                    return Outcome.deny(429, "Slow down", "try later", new io.gatehouse.spi.DecidingRule("t", "r", "x"));
                });
            }
        };
        try (var harness = ProcessorHarness.of(Steps.factory("later", Phase.AUTHORIZE, later), new Steps.NoConfig())) {
            TestExchange exchange = TestExchange.get("/").build();

            Outcome outcome = harness.request(exchange);

            assertThat(outcome).isInstanceOf(Outcome.Deny.class);
            assertThat(((Outcome.Deny) outcome).status()).isEqualTo(429);
            assertThat(exchange.attributes().get(SEEN_AT)).contains(Instant.EPOCH);
        }
    }

    @Test
    void aRequestPhaseThatCompletesWithNullIsReportedWithProcessorAndEndpoint() {
        GatewayProcessor nulls = new GatewayProcessor() {
            @Override
            public Outcome onRequest(GatewayExchange exchange) {
                return null;
            }
        };
        try (var harness = ProcessorHarness.builder(Steps.factory("nulls", Phase.AUTHORIZE, nulls),
                new Steps.NoConfig()).endpointId("chat").build()) {
            assertThatThrownBy(() -> harness.request(TestExchange.get("/").build()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("processor 'nulls' on endpoint 'chat' completed onRequestAsync with null");
        }
    }

    @Test
    void aRequestPhaseThatNeverCompletesFailsTheTestAfterTheTimeout() {
        GatewayProcessor stuck = new GatewayProcessor() {
            @Override
            public CompletionStage<Outcome> onRequestAsync(GatewayExchange exchange) {
                return new CompletableFuture<>();
            }
        };
        try (var harness = ProcessorHarness.builder(Steps.factory("stuck", Phase.APPROVE, stuck),
                new Steps.NoConfig()).timeout(Duration.ofMillis(100)).build()) {
            assertThatThrownBy(() -> harness.request(TestExchange.get("/").build()))
                    .isInstanceOf(AssertionFailedError.class)
                    .hasMessage("processor 'stuck' on endpoint 'test' did not complete onRequestAsync within PT0.1S");
        }
    }

    @Test
    void whatTheRequestPhaseThrowsReachesTheTestUnwrapped() {
        GatewayProcessor failing = new GatewayProcessor() {
            @Override
            public CompletionStage<Outcome> onRequestAsync(GatewayExchange exchange) {
                return CompletableFuture.failedFuture(new IllegalArgumentException("store down"));
            }
        };
        try (var harness = ProcessorHarness.of(Steps.factory("failing", Phase.APPROVE, failing),
                new Steps.NoConfig())) {
            assertThatThrownBy(() -> harness.request(TestExchange.get("/").build()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("store down");
        }
    }

    @Test
    void onCompleteThatThrowsIsAContractViolationNamingTheProcessor() {
        GatewayProcessor throwing = new GatewayProcessor() {
            @Override
            public void onComplete(GatewayExchange exchange, Completion completion) {
                throw new IllegalStateException("disk full");
            }
        };
        try (var harness = ProcessorHarness.of(Steps.factory("audit", Phase.OBSERVE, throwing),
                new Steps.NoConfig())) {
            Completion done = new Completion(Completion.Kind.ANSWERED, 200, null, null, Duration.ofMillis(5));

            assertThatThrownBy(() -> harness.complete(TestExchange.get("/").build(), done))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("processor 'audit' on endpoint 'test' threw from onComplete, which must not throw")
                    .hasRootCauseMessage("disk full");
        }
    }

    @Test
    void completeHandsTheCompletionToTheProcessor() {
        AtomicReference<Completion> seen = new AtomicReference<>();
        GatewayProcessor recording = new GatewayProcessor() {
            @Override
            public void onComplete(GatewayExchange exchange, Completion completion) {
                seen.set(completion);
            }
        };
        try (var harness = ProcessorHarness.of(Steps.factory("rec", Phase.OBSERVE, recording), new Steps.NoConfig())) {
            Completion done = new Completion(Completion.Kind.CLIENT_GONE, 200, null, "client closed", Duration.ZERO);
            harness.complete(TestExchange.get("/").build(), done);

            assertThat(seen.get()).isSameAs(done);
        }
    }

    @Test
    void closingTheHarnessClosesTheProcessor() {
        AtomicReference<Boolean> closed = new AtomicReference<>(false);
        GatewayProcessor closeable = new GatewayProcessor() {
            @Override
            public void close() {
                closed.set(true);
            }
        };
        var harness = ProcessorHarness.of(Steps.factory("c", Phase.OBSERVE, closeable), new Steps.NoConfig());
        harness.close();

        assertThat(closed.get()).isTrue();
    }
}
