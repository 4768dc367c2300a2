package io.gatehouse.bench;

import io.gatehouse.processors.auth.AuthConfig;
import io.gatehouse.processors.auth.AuthProcessorFactory;
import io.gatehouse.processors.auth.IdentityConfig;
import io.gatehouse.processors.auth.ProviderConfig;
import io.gatehouse.spi.Outcome;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.TestClock;
import io.gatehouse.testkit.TestExchange;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
 * The verified-token cache of the {@code auth} step: a client reusing its RS256 token
 * ({@link #cachedToken}: SHA-256 of the token, a map lookup, the per-request time and MFA checks)
 * against the same step with the cache off ({@link #uncachedToken}: strict parse, RSA signature,
 * claims, identity mapping on every request). Keys are warm in both (one JWKS fetch in
 * {@link #setUp}, from {@link LocalIssuer} on loopback); each operation builds a fresh exchange, as
 * the step removes the {@code Authorization} header, and {@link #exchangeOnly} measures that alone.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class AuthCacheBenchmark {

    private LocalIssuer issuer;
    private ProcessorHarness<AuthConfig> cached;
    private ProcessorHarness<AuthConfig> uncached;
    private String authorization;

    @Setup
    public void setUp() throws IOException {
        issuer = LocalIssuer.start(0);
        Instant now = Instant.now();
        ProviderConfig provider = new ProviderConfig(issuer.issuer(), List.of(LocalIssuer.AUDIENCE),
                URI.create(issuer.jwksUrl()), null, null, null, null, null, null, null, null);
        cached = harness(new IdentityConfig(Map.of("bench", provider), null, null, null, null), now);
        uncached = harness(new IdentityConfig(Map.of("bench", provider), null, null, 0, null), now);
        authorization = "Bearer " + issuer.token("alice", List.of("analysts"), now, Duration.ofHours(1));
        for (ProcessorHarness<AuthConfig> h : List.of(cached, uncached)) {
            Outcome outcome = h.request(exchange());
            if (!(outcome instanceof Outcome.Proceed)) {
                throw new IllegalStateException("auth should accept the benchmark token, got " + outcome);
            }
        }
    }

    /** The step's clock stands still at {@code now}, so the token stays valid for the whole run. */
    private static ProcessorHarness<AuthConfig> harness(IdentityConfig identity, Instant now) {
        return ProcessorHarness.builder(new AuthProcessorFactory(), AuthConfig.defaults()).endpointId("openai")
                .protocol("openai").pathPrefix("/v1").clock(TestClock.at(now)).gateway(identity).build();
    }

    @TearDown
    public void tearDown() {
        cached.close();
        uncached.close();
        issuer.close();
    }

    private TestExchange exchange() {
        return TestExchange.post("/v1/chat/completions").header("Authorization", authorization).build();
    }

    @Benchmark
    public TestExchange exchangeOnly() {
        return exchange();
    }

    @Benchmark
    public Outcome cachedToken() {
        return cached.request(exchange());
    }

    @Benchmark
    public Outcome uncachedToken() {
        return uncached.request(exchange());
    }
}
