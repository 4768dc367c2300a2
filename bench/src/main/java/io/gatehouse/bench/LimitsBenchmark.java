package io.gatehouse.bench;

import io.gatehouse.processors.limits.LimitsConfig;
import io.gatehouse.processors.limits.LimitsProcessorFactory;
import io.gatehouse.spi.Outcome;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.TestExchange;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The {@code limits} step's request phase on a small chat request, created by its factory with the
 * demo's settings and run through the testkit harness. Each operation builds a fresh exchange, as
 * the gateway does per request; {@link #exchangeOnly} measures that construction alone, so
 * {@code onRequest - exchangeOnly} is the step's own cost.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LimitsBenchmark {

    static final String BODY = "{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";

    private ProcessorHarness<LimitsConfig> harness;

    @Setup
    public void setUp() {
        harness = ProcessorHarness.builder(new LimitsProcessorFactory(), LimitsConfig.defaults())
                .endpointId("openai").protocol("openai").pathPrefix("/v1").build();
        Outcome outcome = harness.request(exchange());
        if (!(outcome instanceof Outcome.Proceed)) {
            throw new IllegalStateException("limits should let the benchmark request through, got " + outcome);
        }
    }

    @TearDown
    public void tearDown() {
        harness.close();
    }

    /** Headers a typical SDK sends; no Authorization (limits runs first in the demo pipeline). */
    static TestExchange.Builder request() {
        return TestExchange.post("/v1/chat/completions")
                .requestId("bench-request")
                .endpointId("openai")
                .header("Host", "127.0.0.1:8080")
                .header("User-Agent", "OpenAI/Python 1.54.0")
                .header("Accept", "application/json")
                .header("Content-Type", "application/json")
                .header("Content-Length", Integer.toString(BODY.length()))
                .body(BODY);
    }

    private static TestExchange exchange() {
        return request().build();
    }

    @Benchmark
    public TestExchange exchangeOnly() {
        return exchange();
    }

    @Benchmark
    public Outcome onRequest() {
        return harness.request(exchange());
    }
}
