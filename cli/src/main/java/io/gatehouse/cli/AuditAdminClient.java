package io.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.gateway.GatewayAssembly;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * How the {@code sessions} and {@code audit} commands reach the admin API: its address
 * ({@code --admin}, else the admin listener of {@code --config DIR}, else 127.0.0.1:8081) and the
 * caller's own OIDC token ({@code --token}, else {@code GATEHOUSE_TOKEN}).
 */
final class AuditAdminClient {

    static final String TOKEN_VARIABLE = "GATEHOUSE_TOKEN";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The options every admin command shares (a picocli mixin). */
    static final class Options {
        @Option(names = "--admin", paramLabel = "URL",
                description = "the admin API, e.g. http://127.0.0.1:8081 (default: the admin listener of --config,"
                        + " else http://127.0.0.1:8081)")
        String admin;

        @Option(names = "--config", paramLabel = "DIR", description = "the gateway's config directory")
        Path config;

        @Option(names = "--token", description = "your OIDC access token (default: $" + TOKEN_VARIABLE + ")")
        String token;
    }

    /** The admin API answered with an error; the message is its problem's title and detail. */
    static final class AdminCallException extends Exception {
        final int status;

        AdminCallException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private final URI base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    AuditAdminClient(URI base, String token) {
        this.base = base;
        this.token = token;
    }

    /**
     * @throws IllegalArgumentException naming what is missing (no token) or wrong (the config)
     */
    static AuditAdminClient from(Options options, Function<String, String> env) {
        String token = options.token != null ? options.token : env.apply(TOKEN_VARIABLE);
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("no token: pass --token or set " + TOKEN_VARIABLE
                    + " (an OIDC access token of a member of the auditor groups)");
        }
        String admin = options.admin;
        if (admin == null && options.config != null) {
            GatewayConfig config = loadConfig(options.config, env);
            String host = config.admin().host().contains(":") ? "[" + config.admin().host() + "]"
                    : config.admin().host();
            admin = "http://" + host + ":" + config.admin().port();
        }
        if (admin == null) {
            admin = "http://127.0.0.1:8081";
        }
        return new AuditAdminClient(URI.create(admin.endsWith("/") ? admin.substring(0, admin.length() - 1) : admin),
                token.trim());
    }

    static GatewayConfig loadConfig(Path directory, Function<String, String> env) {
        GatewayAssembly.Loaded loaded = GatewayAssembly.load(directory, env);
        if (!loaded.errors().isEmpty()) {
            throw new IllegalArgumentException("the config in " + directory + " is not valid:\n"
                    + String.join("\n", loaded.errors()));
        }
        return loaded.config();
    }

    static String query(Map<String, String> params) {
        StringJoiner q = new StringJoiner("&", "?", "").setEmptyValue("");
        new LinkedHashMap<>(params).forEach((k, v) -> {
            if (v != null) {
                q.add(k + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8));
            }
        });
        return q.toString();
    }

    /**
     * The admin address of {@code --admin}, else read from gateway.yaml of {@code --config} without
     * validating the rest (a reload of a broken directory must still reach the gateway to be refused).
     */
    static AuditAdminClient lenient(Options options, Function<String, String> env) {
        if (options.admin == null && options.config != null) {
            Options copy = new Options();
            copy.token = options.token;
            copy.admin = "http://" + io.gatehouse.config.ConfigLoader.adminAddress(options.config).orElseThrow(() ->
                    new IllegalArgumentException("cannot read " + options.config.resolve("gateway.yaml")
                            + "; pass --admin URL"));
            return from(copy, env);
        }
        return from(options, env);
    }

    /** A call whatever its status: the status and the body. */
    HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(5))
                .header("Authorization", "Bearer " + token).header("Accept", "application/json")
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (java.net.ConnectException e) {
            throw new IOException("cannot reach the admin API at " + base + " (is the gateway running?)", e);
        }
    }

    JsonNode json(String pathAndQuery) throws IOException, InterruptedException, AdminCallException {
        return JSON.readTree(text(pathAndQuery));
    }

    String text(String pathAndQuery) throws IOException, InterruptedException, AdminCallException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(Duration.ofMinutes(5))
                .header("Authorization", "Bearer " + token).header("Accept", "application/json").GET().build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (java.net.ConnectException e) {
            throw new IOException("cannot reach the admin API at " + base + " (is the gateway running?)", e);
        }
        if (response.statusCode() / 100 != 2) {
            String message = "the admin API answered " + response.statusCode();
            try {
                JsonNode problem = JSON.readTree(response.body());
                message += ": " + problem.path("title").asText() + ": " + problem.path("detail").asText();
            } catch (IOException notJson) {
                // the status says enough
            }
            throw new AdminCallException(response.statusCode(), message);
        }
        return response.body();
    }

    URI base() {
        return base;
    }
}
