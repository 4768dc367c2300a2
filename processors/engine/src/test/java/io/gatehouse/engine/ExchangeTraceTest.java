package io.gatehouse.engine;

import static io.gatehouse.engine.Exchanges.step;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.spi.Completion;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.Phase;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/** The tracing hook: what the engine tells an {@link ExchangeTrace}, and that without one it tells nothing. */
class ExchangeTraceTest {

    /** Notes every call as text. */
    private static final class Recorded implements ExchangeTrace {
        final List<String> events = new CopyOnWriteArrayList<>();
        boolean failing;

        @Override
        public StepTrace stepStarted(PipelineExchange exchange, Step step) {
            events.add("start " + step.stepId());
            return (ex, result) -> {
                events.add("end " + step.stepId() + " " + result.getClass().getSimpleName());
                if (failing) {
                    throw new IllegalStateException("tracer down");
                }
            };
        }

        @Override
        public AgentCallTrace agentCall(String agent, String service) {
            return new AgentCallTrace() {
                public Set<String> fields() {
                    return Set.of();
                }

                public void inject(BiConsumer<String, String> header) {
                }
            };
        }

        @Override
        public void completed(PipelineExchange exchange, Completion completion) {
            events.add("completed " + completion.kind() + " " + completion.status());
        }
    }

    private static PipelineExchange exchange(ExchangeTrace trace) {
        InboundRequest request = new InboundRequest("POST", "/v1/chat/completions", "", new Headers(),
                new InetSocketAddress("127.0.0.1", 40000), new byte[0]);
        return PipelineExchange.builder("req-1", "chat", request, Operation.raw("raw")).trace(trace).build();
    }

    private static final Step DENY = step("policy", Phase.AUTHORIZE, new GatewayProcessor() {
        @Override
        public Outcome onRequest(GatewayExchange exchange) {
            return Outcome.deny(403, "Forbidden", "no", new DecidingRule("auditors", "no-model-access", "no"));
        }
    });

    @Test
    void anExchangeBuiltWithoutATraceCarriesNoneAndItsStepsStillRun() {
        PipelineExchange px = Exchanges.post("{}");

        assertThat(px.trace()).isNull();
        assertThat(StepCalls.request(px, DENY).toCompletableFuture().join()).isInstanceOf(StepResult.Denied.class);
    }

    @Test
    void eachStepsRequestPhaseIsReportedWithItsResultAndTheCompletionOnce() {
        Recorded trace = new Recorded();
        PipelineExchange px = exchange(trace);

        StepCalls.request(px, step("auth", Phase.AUTHENTICATE)).toCompletableFuture().join();
        StepCalls.request(px, DENY).toCompletableFuture().join();
        px.complete(Completion.Kind.DENIED, 403, null, null);
        px.complete(Completion.Kind.FAILED, 500, null, null);

        assertThat(trace.events).containsExactly("start auth", "end auth Proceed", "start policy", "end policy Denied",
                "completed DENIED 403");
    }

    @Test
    void aStepThatBreaksIsReportedAsBrokenAndATracerThatThrowsChangesNoOutcome() {
        Recorded trace = new Recorded();
        trace.failing = true;
        Step broken = step("bad", Phase.AUTHORIZE, new GatewayProcessor() {
            @Override
            public Outcome onRequest(GatewayExchange exchange) {
                throw new IllegalArgumentException("boom");
            }
        });

        StepResult denied = StepCalls.request(exchange(trace), DENY).toCompletableFuture().join();
        StepResult result = StepCalls.request(exchange(trace), broken).toCompletableFuture().join();

        assertThat(denied).isInstanceOf(StepResult.Denied.class);
        assertThat(result).isInstanceOf(StepResult.Broken.class);
        assertThat(trace.events).containsExactly("start policy", "end policy Denied", "start bad", "end bad Broken");
    }
}
