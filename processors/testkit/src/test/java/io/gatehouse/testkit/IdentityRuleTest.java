package io.gatehouse.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.Phase;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdentityRuleTest {

    private static final Identity ALICE = new Identity("u-1", "alice", "https://idp.test", null, Set.of("analysts"),
            Set.of(), null, List.of(), null, null, Instant.parse("2026-01-01T01:00:00Z"), null, Map.of());

    private static final GatewayProcessor SETS_IDENTITY = new GatewayProcessor() {
        @Override
        public Outcome onRequest(GatewayExchange exchange) {
            exchange.setIdentity(ALICE);
            return Outcome.proceed();
        }
    };

    @Test
    void aTransformStepThatSetsTheIdentityIsRefusedWithTheGatewaysMessage() {
        try (var harness = ProcessorHarness.of(Steps.factory("stamper", Phase.TRANSFORM, SETS_IDENTITY),
                new Steps.NoConfig())) {
            TestExchange exchange = TestExchange.post("/v1/chat/completions").build();

            assertThatThrownBy(() -> harness.request(exchange))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("processor 'stamper' (phase TRANSFORM) may not set the identity:"
                            + " only AUTHENTICATE steps may");
            assertThat(exchange.identity()).isEmpty();
        }
    }

    @Test
    void anAuthorizeStepMayNotSetTheIdentityEither() {
        try (var harness = ProcessorHarness.of(Steps.factory("policy", Phase.AUTHORIZE, SETS_IDENTITY),
                new Steps.NoConfig())) {
            assertThatThrownBy(() -> harness.request(TestExchange.get("/").build()))
                    .hasMessage("processor 'policy' (phase AUTHORIZE) may not set the identity:"
                            + " only AUTHENTICATE steps may");
        }
    }

    @Test
    void anAuthenticateStepSetsTheIdentity() {
        try (var harness = ProcessorHarness.of(Steps.factory("login", Phase.AUTHENTICATE, SETS_IDENTITY),
                new Steps.NoConfig())) {
            TestExchange exchange = TestExchange.post("/v1/chat/completions").build();

            assertThat(harness.request(exchange)).isSameAs(Outcome.proceed());
            assertThat(exchange.identity()).contains(ALICE);
        }
    }

    @Test
    void setIdentityOutsideAnyStepIsRefusedAndPointsToTheBuilder() {
        TestExchange exchange = TestExchange.get("/").build();

        assertThatThrownBy(() -> exchange.setIdentity(ALICE))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("setIdentity was called while no processor runs on this exchange;"
                        + " give a test exchange its caller with TestExchange.Builder.identity(..)");
    }

    @Test
    void aTestGivesAnExchangeItsCallerThroughTheBuilder() {
        TestExchange exchange = TestExchange.get("/").identity(ALICE).build();

        assertThat(exchange.identity()).contains(ALICE);
    }
}
