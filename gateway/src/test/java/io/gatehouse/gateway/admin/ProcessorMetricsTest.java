package io.gatehouse.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.metrics.Metrics;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The SPI's metrics as Prometheus scrapes them from the gateway's registry. */
class ProcessorMetricsTest {

    private final GatewayMetrics gateway = new GatewayMetrics();
    private final ProcessorMetrics metrics = new ProcessorMetrics(gateway.registry());

    @Test
    void aGaugeIsScrapedWithDotsAsUnderscoresAndItsTags() {
        metrics.gauge("gatehouse.jwks.age.seconds", "age", Map.of("provider", "keycloak"), () -> 42.5);

        assertThat(gateway.scrape()).contains("gatehouse_jwks_age_seconds{provider=\"keycloak\"} 42.5");
    }

    @Test
    void aCounterIsExportedAtZeroBeforeItCountsAndEndsInTotal() {
        Metrics.Counter failed = metrics.counter("gatehouse.jwks.fetches", "fetches",
                Map.of("provider", "keycloak", "result", "failed"));
        assertThat(gateway.scrape()).contains("gatehouse_jwks_fetches_total{provider=\"keycloak\",result=\"failed\"} 0.0");

        failed.increment();
        metrics.counter("gatehouse.jwks.fetches", "fetches", Map.of("provider", "keycloak", "result", "failed"))
                .increment(2);

        assertThat(gateway.scrape()).contains("gatehouse_jwks_fetches_total{provider=\"keycloak\",result=\"failed\"} 3.0");
    }

    @Test
    void twoLiveRegistrationsOfOneSeriesReportTheLargerNumberAndTheLastCloseRemovesIt() {
        Metrics.Registration old = metrics.gauge("gatehouse.jwks.age.seconds", "age", Map.of("provider", "k"),
                () -> 300);
        Metrics.Registration fresh = metrics.gauge("gatehouse.jwks.age.seconds", "age", Map.of("provider", "k"),
                () -> Double.NaN);
        assertThat(gateway.scrape()).contains("gatehouse_jwks_age_seconds{provider=\"k\"} 300.0");

        old.close();
        old.close(); // twice: no effect on the other registration
        assertThat(gateway.scrape()).contains("gatehouse_jwks_age_seconds{provider=\"k\"} NaN");

        fresh.close();
        assertThat(gateway.scrape()).doesNotContain("gatehouse_jwks_age_seconds");
        metrics.gauge("gatehouse.jwks.age.seconds", "age", Map.of("provider", "k"), () -> 1);
        assertThat(gateway.scrape()).contains("gatehouse_jwks_age_seconds{provider=\"k\"} 1.0");
    }

    @Test
    void aNameThatIsNotDottedLowerCaseWordsIsRefusedAndNamed() {
        assertThatThrownBy(() -> metrics.gauge("Jwks-Age", "x", Map.of(), () -> 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("metric name 'Jwks-Age' is not lower-case words joined by dots (at least two),"
                        + " e.g. myplugin.cache.size");
        assertThatThrownBy(() -> metrics.counter("gatehouse.x", "x", Map.of("Provider", "k")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tag key 'Provider' of metric gatehouse.x is not lower-case words joined by underscores");
    }
}
