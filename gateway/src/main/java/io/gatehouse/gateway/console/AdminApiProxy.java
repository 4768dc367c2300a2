package io.gatehouse.gateway.console;

import io.gatehouse.spi.Headers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * Calls the admin API on this gateway's own admin port with the signed-in user's access token, the
 * way the CLI does: the console has no way around the admin API's checks, and every decision it
 * passes on is taken, refused and audited exactly as one from {@code gatehouse approvals}.
 */
final class AdminApiProxy {

    private final HttpClient http;
    private final URI admin;

    AdminApiProxy(HttpClient http, URI admin) {
        this.http = http;
        this.admin = admin;
    }

    CompletionStage<ConsoleRoutes.Reply> call(String method, String pathAndQuery, String accessToken, byte[] body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(admin + pathAndQuery))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + accessToken)
                .header("User-Agent", "gatehouse-console");
        if (method.equals("GET")) {
            request.GET();
        } else {
            request.header("Content-Type", "application/json").method(method,
                    HttpRequest.BodyPublishers.ofByteArray(body == null ? new byte[0] : body));
        }
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray()).thenApply(r -> {
            Headers headers = new Headers();
            r.headers().firstValue("Gatehouse-Request-Id").ifPresent(v -> headers.set("Gatehouse-Admin-Request-Id", v));
            return new ConsoleRoutes.Reply(r.statusCode(), r.headers().firstValue("Content-Type")
                    .orElse("application/json"), r.body(), headers);
        });
    }
}
