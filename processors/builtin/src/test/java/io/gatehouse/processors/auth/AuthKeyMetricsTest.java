package io.gatehouse.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.metrics.MetricNames;
import io.gatehouse.spi.metrics.Metrics;
import io.gatehouse.testkit.ProcessorHarness;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/**
 * What the auth step exports through the SPI's {@link Metrics}: the age of each provider's keys in use (the
 * staleness alert's input) beside its {@code maxStaleness}, and its key fetches by result. Time is the harness
 * clock.
 */
class AuthKeyMetricsTest extends AuthTestSupport {

    private static final String AGE = "gatehouse.jwks.age.seconds{provider=idp}";
    private static final String MAX = "gatehouse.jwks.max.staleness.seconds{provider=idp}";

    /** The metrics a processor registered, as the gateway's /metrics would read them. */
    static final class SeenMetrics implements Metrics {
        final Map<String, List<DoubleSupplier>> gauges = new ConcurrentHashMap<>();
        final Map<String, DoubleAdder> counters = new ConcurrentHashMap<>();

        private static String key(String name, Map<String, String> tags) {
            return name + new TreeMap<>(tags).toString().replace(" ", "").replace("[", "{").replace("]", "}");
        }

        @Override
        public Registration gauge(String name, String description, Map<String, String> tags, DoubleSupplier value) {
            MetricNames.check(name, tags);
            List<DoubleSupplier> live = gauges.computeIfAbsent(key(name, tags), k -> new CopyOnWriteArrayList<>());
            live.add(value);
            return () -> live.remove(value);
        }

        @Override
        public Counter counter(String name, String description, Map<String, String> tags) {
            MetricNames.check(name, tags);
            DoubleAdder count = counters.computeIfAbsent(key(name, tags), k -> new DoubleAdder());
            return count::add;
        }

        double gauge(String key) {
            List<DoubleSupplier> live = gauges.get(key);
            assertThat(live).as("live registrations of %s", key).hasSize(1);
            return live.get(0).getAsDouble();
        }

        double counter(String key) {
            return counters.get(key).sum();
        }

        /** The counter once it is above zero (fetches complete on the HTTP client's threads), at most 5 s. */
        double awaitCounter(String key) throws InterruptedException {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (counter(key) == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            return counter(key);
        }
    }

    private static int serial;

    private static String token() {
        return Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW).jwtID("m-" + (++serial))
                .expirationTime(Date.from(NOW.plusSeconds(7200))).build());
    }

    private static ProcessorHarness<AuthConfig> harness(JwksServer idp, SeenMetrics metrics) {
        return ProcessorHarness.builder(new AuthProcessorFactory(), AuthConfig.defaults())
                .gateway(identity(provider(idp.url())))
                .services(GatewayServices.of(Map.of(Metrics.class, metrics))).build();
    }

    @Test
    void theKeyAgeIsNaNUntilATokenNeedsKeysThenCountsOnTheGatewayClockFromTheFetch() {
        SeenMetrics metrics = new SeenMetrics();
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp, metrics)) {
            assertThat(metrics.gauge(AGE)).isNaN();
            assertThat(metrics.gauge(MAX)).isEqualTo(3600.0);

            assertThat(harness.request(bearer(token()))).isSameAs(Outcome.proceed());
            assertThat(metrics.gauge(AGE)).isZero();
            harness.clock().advance(Duration.ofSeconds(90));
            assertThat(metrics.gauge(AGE)).isEqualTo(90.0);
        }
    }

    @Test
    void aRefreshThatFailsIsCountedAndLeavesTheAgeGrowingPastTheCacheTtl() throws InterruptedException {
        SeenMetrics metrics = new SeenMetrics();
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp, metrics)) {
            assertThat(harness.request(bearer(token()))).isSameAs(Outcome.proceed());
            idp.mode(JwksServer.Mode.ERROR);
            harness.clock().advance(Duration.ofMinutes(6));
            assertThat(harness.request(bearer(token()))).isSameAs(Outcome.proceed()); // starts the refresh
            double failed = metrics.awaitCounter("gatehouse.jwks.fetches{provider=idp,result=failed}");

            assertThat(failed).isEqualTo(1.0);
            assertThat(metrics.counter("gatehouse.jwks.fetches{provider=idp,result=ok}")).isEqualTo(1.0);
            assertThat(metrics.gauge(AGE)).isEqualTo(360.0);
        }
    }

    @Test
    void closingTheProcessorWithdrawsItsGauges() {
        SeenMetrics metrics = new SeenMetrics();
        try (var idp = new JwksServer(Keys.RSA)) {
            harness(idp, metrics).close();

            assertThat(metrics.gauges.get(AGE)).isEmpty();
            assertThat(metrics.gauges.get(MAX)).isEmpty();
        }
    }
}
