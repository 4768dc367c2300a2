package io.gatehouse.bench;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.SignedJWT;
import io.gatehouse.processors.auth.AuthConfig;
import io.gatehouse.processors.auth.AuthProcessorFactory;
import io.gatehouse.spi.Outcome;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.TestClock;
import io.gatehouse.testkit.TestExchange;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.text.ParseException;
import java.time.Instant;
import java.util.List;
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
 * The {@code auth} step verifying a valid RS256 token (2048-bit key) with a warm key cache: the
 * JWKS is served by a JDK HttpServer on loopback ({@link LocalIssuer}) and fetched once in
 * {@link #setUp}, so each operation is parse + header checks + key lookup in the cache + RSA
 * signature verification + claims checks + identity mapping. The auth step removes the
 * {@code Authorization} header, so each operation builds a fresh exchange; {@link #exchangeOnly}
 * measures that construction alone, and {@link #signatureOnly} the bare RSA signature check (Nimbus
 * {@link RSASSAVerifier} on an already parsed token), the floor under any RS256 verifier.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class AuthBenchmark {

    private LocalIssuer issuer;
    private ProcessorHarness<AuthConfig> harness;
    private String authorization;
    private SignedJWT parsed;
    private RSASSAVerifier signatureVerifier;

    @Setup
    public void setUp() throws IOException, ParseException, JOSEException {
        issuer = LocalIssuer.start(0);
        Instant now = Instant.now();
        // The step's clock stands still at `now`, so the token stays valid for the whole run.
        harness = ProcessorHarness.builder(new AuthProcessorFactory(), AuthConfig.defaults())
                .gateway(io.gatehouse.processors.auth.IdentityConfig.of(java.util.Map.of("bench",
                        new io.gatehouse.processors.auth.ProviderConfig(issuer.issuer(), List.of(LocalIssuer.AUDIENCE),
                                URI.create(issuer.jwksUrl()), null, null, null, null, null, null, null, null))))
                .endpointId("openai").protocol("openai").pathPrefix("/v1").clock(TestClock.at(now)).build();
        String token = issuer.token("alice", List.of("analysts"), now, Duration.ofHours(1));
        authorization = "Bearer " + token;
        parsed = SignedJWT.parse(token);
        signatureVerifier = new RSASSAVerifier(issuer.publicKey());
        // Warms the key cache (the only JWKS fetch) and proves the token is accepted.
        Outcome outcome = harness.request(exchange());
        if (!(outcome instanceof Outcome.Proceed)) {
            throw new IllegalStateException("auth should accept the benchmark token, got " + outcome);
        }
    }

    @TearDown
    public void tearDown() {
        harness.close();
        issuer.close();
    }

    private TestExchange exchange() {
        return LimitsBenchmark.request().header("Authorization", authorization).build();
    }

    @Benchmark
    public TestExchange exchangeOnly() {
        return exchange();
    }

    @Benchmark
    public boolean signatureOnly() throws JOSEException {
        return parsed.verify(signatureVerifier);
    }

    @Benchmark
    public Outcome verifyToken() {
        return harness.request(exchange());
    }
}
