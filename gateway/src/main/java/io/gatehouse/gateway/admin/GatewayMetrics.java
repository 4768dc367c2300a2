package io.gatehouse.gateway.admin;

import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.spi.Completion;
import io.gatehouse.spi.StandardAttributes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway's metrics, scraped at {@code /metrics} on the admin port: requests by endpoint,
 * status and outcome, denials by rule, values masked by detector, and a latency histogram per endpoint.
 */
public final class GatewayMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /*
     * The two meters every exchange touches, found by a map lookup: Micrometer's builders sort and hash
     * a new tag list on each call, about 1 % of the gateway's CPU per request. Endpoints, statuses and
     * kinds are few, so the maps stay small.
     */
    private final Map<RequestKey, Counter> requests = new ConcurrentHashMap<>();
    private final Map<String, Timer> durations = new ConcurrentHashMap<>();

    private record RequestKey(String endpoint, int status, Completion.Kind kind) {
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Counts one finished exchange. */
    public void record(PipelineExchange.CompletedExchange done) {
        Completion c = done.completion();
        String endpoint = done.exchange().endpointId();
        requests.computeIfAbsent(new RequestKey(endpoint, c.status(), c.kind()), k -> Counter.builder("gatehouse.requests")
                .description("Exchanges by endpoint, status and outcome")
                .tag("endpoint", k.endpoint())
                .tag("status", Integer.toString(k.status()))
                .tag("outcome", k.kind().name().toLowerCase(Locale.ROOT).replace('_', '-'))
                .register(registry)).increment();
        if (c.denial() != null) {
            Counter.builder("gatehouse.denials")
                    .description("Denied exchanges by endpoint and the policy and rule that decided;"
                            + " auth rejections by reason (policy auth, rule expired, wrong-audience, ...)")
                    .tag("endpoint", endpoint)
                    .tag("policy", c.denial().rule().policy())
                    .tag("rule", c.denial().rule().rule())
                    .register(registry)
                    .increment();
        }
        Map<?, ?> masked = done.exchange().attributes().get(StandardAttributes.MASKING_COUNTS).orElse(null);
        if (masked != null) {
            masked.forEach((detector, count) -> {
                if (count instanceof Number n && n.longValue() > 0) {
                    Counter.builder("gatehouse.masked.values")
                            .description("Values the masking step replaced, by endpoint and detector (never the values)")
                            .tag("endpoint", endpoint)
                            .tag("detector", String.valueOf(detector))
                            .register(registry)
                            .increment(n.longValue());
                }
            });
        }
        durations.computeIfAbsent(endpoint, e -> Timer.builder("gatehouse.request.duration")
                .description("From the first request byte to the last response byte")
                .tag("endpoint", e)
                .publishPercentileHistogram()
                .register(registry)).record(c.duration());
    }

    public String scrape() {
        return registry.scrape();
    }
}
