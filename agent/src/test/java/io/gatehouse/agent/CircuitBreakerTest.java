package io.gatehouse.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.spi.ConfigException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Circuit breaking per service: a failing model server is left alone for a while, then tried again. */
class CircuitBreakerTest {

    private static final Duration OPEN = Duration.ofMillis(400);

    private Path data;
    private CountingModel model;
    private AgentServer agent;
    private AgentClient client;

    @BeforeEach
    void start() throws Exception {
        data = Files.createTempDirectory("gatehouse-agent-breaker-test");
        model = new CountingModel(null);
        Map<String, ServiceConfig> services = new LinkedHashMap<>();
        services.put("guarded", new ServiceConfig(model.url(), null, null, null, null,
                new CircuitBreakerConfig(true, 50, 4, 4, OPEN, 1)));
        services.put("unguarded", new ServiceConfig(model.url(), null, null, null, null,
                CircuitBreakerConfig.disabled()));
        services.put("down", new ServiceConfig(URI.create("http://127.0.0.1:" + AgentFixture.freePort()), null,
                null, null, null, new CircuitBreakerConfig(true, 50, 2, 2, Duration.ofSeconds(30), 1)));
        agent = AgentServer.start(new AgentSettings(new ListenConfig("127.0.0.1", 0), null, data, services));
        client = AgentClient.connect("127.0.0.1", agent.port(), ClientTls.dev(data));
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        agent.close();
        model.close();
        AgentFixture.deleteRecursively(data);
    }

    private Collected call(String service, String path) throws InterruptedException {
        Collected collected = new Collected();
        client.forward(ForwardRequest.newBuilder().setRequestId("req-" + System.nanoTime()).setService(service)
                .setMethod("GET").setPath(path).build(), Instant.now().plusSeconds(30), collected);
        return collected.await();
    }

    @Test
    void aServiceAnswering5xxIsNotCalledWhileItsCircuitIsOpenThenATrialCallClosesIt() throws Exception {
        for (int i = 0; i < 4; i++) {
            assertThat(call("guarded", "/fail").head().getStatus()).isEqualTo(503);
        }
        int seen = model.authorizations().size();

        Collected refused = call("guarded", "/ok");

        ForwardResponse.Failure failure = refused.failure();
        assertThat(failure.getCode()).isEqualTo(ForwardResponse.Failure.Code.CIRCUIT_OPEN);
        assertThat(failure.getMessage()).startsWith("service 'guarded' is failing, so the agent stopped calling it "
                + "for now (circuit open: 4 of its last 4 calls failed); retry in ");
        assertThat(failure.getRetryAfterMillis()).isBetween(1L, 1000L);
        assertThat(model.authorizations()).as("the model was not called").hasSize(seen);

        Thread.sleep(OPEN.toMillis() + 100); // the open period passes: the next call is a trial
        Collected trial = call("guarded", "/ok");
        assertThat(trial.head().getStatus()).isEqualTo(200);
        assertThat(call("guarded", "/ok").head().getStatus()).as("closed again after the trial").isEqualTo(200);
        assertThat(model.authorizations()).hasSize(seen + 2);
    }

    @Test
    void aServiceThatCannotBeReachedIsRefusedAtOnceOnceItsCircuitOpened() throws Exception {
        assertThat(call("down", "/ok").failure().getCode()).isEqualTo(ForwardResponse.Failure.Code.UPSTREAM_UNREACHABLE);
        assertThat(call("down", "/ok").failure().getCode()).isEqualTo(ForwardResponse.Failure.Code.UPSTREAM_UNREACHABLE);

        ForwardResponse.Failure refused = call("down", "/ok").failure();

        assertThat(refused.getCode()).isEqualTo(ForwardResponse.Failure.Code.CIRCUIT_OPEN);
        assertThat(refused.getMessage()).contains("(circuit open: 2 of its last 2 calls failed)");
        assertThat(refused.getRetryAfterMillis()).isBetween(1_000L, 30_000L);
    }

    @Test
    void withTheBreakerOffEveryCallReachesTheServiceWhateverItAnswered() throws Exception {
        for (int i = 0; i < 12; i++) {
            assertThat(call("unguarded", "/fail").head().getStatus()).isEqualTo(503);
        }
        assertThat(model.authorizations()).hasSize(12);
    }

    @Test
    void callsTheServiceAnsweredWellKeepItsCircuitClosed() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(call("guarded", "/fail").head().getStatus()).isEqualTo(503);
            for (int ok = 0; ok < 3; ok++) {
                assertThat(call("guarded", "/ok").head().getStatus()).isEqualTo(200);
            }
        }
        assertThat(model.authorizations()).as("one failure in four calls (25 %) stays under 50 %").hasSize(12);
    }

    @Test
    void theDefaultsAreOnWithHalfOfTwentyCallsAndTenSecondsOpen() {
        CircuitBreakerConfig defaults = ServiceConfig.of(URI.create("http://m")).circuitBreaker();

        assertThat(defaults).isEqualTo(new CircuitBreakerConfig(true, 50, 20, 10, Duration.ofSeconds(10), 3));
    }

    @Test
    void outOfRangeSettingsAreRefusedNamingTheFieldAndTheRange() {
        assertThatThrownBy(() -> new CircuitBreakerConfig(null, 0, null, null, null, null))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.field()).isEqualTo("failureRateThreshold"))
                .hasMessageContaining("value 0 is out of range (expected a percentage from 1 to 100)");
        assertThatThrownBy(() -> new CircuitBreakerConfig(null, null, 5, 6, null, null))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.field()).isEqualTo("minimumCalls"))
                .hasMessageContaining("value 6 is out of range (expected a number of calls from 1 to slidingWindowSize (5))");
        assertThatThrownBy(() -> new CircuitBreakerConfig(null, null, null, null, Duration.ZERO, null))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.field()).isEqualTo("openDuration"))
                .hasMessageContaining("must be at least 1ms");
    }
}
