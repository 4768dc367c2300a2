package io.gatehouse.gateway.admin;

import io.gatehouse.engine.RequestIds;
import io.gatehouse.gateway.http.HttpAnswers;
import io.gatehouse.spi.Headers;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;

/**
 * The admin port: {@code /healthz} (the process is alive), {@code /readyz} (routes are up and every
 * agent answers), {@code /metrics} (Prometheus text).
 */
public final class AdminRoutes extends RouteBuilder {

    private final String host;
    private final int port;
    private final GatewayMetrics metrics;
    private final Supplier<Readiness.Report> readiness;

    public AdminRoutes(String host, int port, GatewayMetrics metrics, Supplier<Readiness.Report> readiness) {
        this.host = host;
        this.port = port;
        this.metrics = metrics;
        this.readiness = readiness;
    }

    @Override
    public void configure() {
        String base = "netty-http:http://" + host + ":" + port;
        from(base + "/healthz?mapHeaders=false").routeId("gatehouse-admin-healthz")
                .process(e -> answer(e, 200, "application/json", "{\"status\":\"UP\"}"));
        from(base + "/readyz?mapHeaders=false").routeId("gatehouse-admin-readyz")
                .process(e -> {
                    Readiness.Report report = readiness.get();
                    answer(e, report.ready() ? 200 : 503, "application/json", report.toJson());
                });
        from(base + "/metrics?mapHeaders=false").routeId("gatehouse-admin-metrics")
                .process(e -> answer(e, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
    }

    private static void answer(Exchange exchange, int status, String contentType, String body) {
        HttpAnswers.whole(exchange, status, new Headers(), contentType, body.getBytes(StandardCharsets.UTF_8),
                RequestIds.next());
    }
}
