package io.gatehouse.it.identity;

import static io.gatehouse.it.support.TempDirs.write;

import com.sun.net.httpserver.HttpServer;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.gateway.route.GatewayRuntime;
import io.gatehouse.it.support.Closer;
import io.gatehouse.it.support.TempDirs;
import io.gatehouse.it.support.TestAgent;
import io.gatehouse.it.support.TestConfig;
import io.gatehouse.samplemodel.SampleModelServer;
import io.gatehouse.samplemodel.SampleModelSettings;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A gateway in this JVM that trusts a real Keycloak, in front of an agent with two services: the
 * sample model ({@code /v1}, OpenAI) and a recorder that keeps every request's headers
 * ({@code /recorded}, with {@code forwardIdentity}; {@code /short}, with {@code maxTokenAge: 3s}).
 * Keys are kept briefly so that rotation and outage can be seen within seconds: fresh 2 s, refetched
 * at most once a second, used at most 8 s after the last successful fetch.
 */
final class IdentityStack implements AutoCloseable {

    static final String KEY_VARIABLE = "GATEHOUSE_IDENTITY_IT_MODEL_KEY";
    static final String MODEL_KEY = "sk-identity-it-" + Long.toHexString(System.nanoTime());

    /** One request as the recorder saw it. */
    record Seen(String path, Map<String, List<String>> headers) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .flatMap(e -> e.getValue().stream()).findFirst().orElse(null);
        }
    }

    final Path root;
    final GatewayRuntime gateway;
    private final List<Seen> seen;
    private final Closer started;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private IdentityStack(Path root, GatewayRuntime gateway, List<Seen> seen, Closer started) {
        this.root = root;
        this.gateway = gateway;
        this.seen = seen;
        this.started = started;
    }

    static IdentityStack start(String issuer) throws Exception {
        Path root = Files.createTempDirectory("gatehouse-it-identity-");
        Path data = root.resolve("data");
        Closer started = new Closer();
        List<Seen> seen = new CopyOnWriteArrayList<>();
        try {
            SampleModelServer model = started.add(SampleModelServer.start(SampleModelSettings.loopback(MODEL_KEY)
                    .withTokenDelay(Duration.ZERO)));
            HttpServer recorder = recorder(seen);
            started.add(() -> recorder.stop(0));
            URI recorderUrl = URI.create("http://127.0.0.1:" + recorder.getAddress().getPort());

            Map<String, URI> services = new LinkedHashMap<>();
            services.put("demo-model", model.baseUri());
            services.put("recorded", recorderUrl);
            AgentServer agent = started.add(TestAgent.start(root.resolve("agent/agent.yaml"), data, services,
                    KEY_VARIABLE, MODEL_KEY));

            Path config = root.resolve("config");
            write(config.resolve("gateway.yaml"), """
                    listeners:
                      http: {host: 127.0.0.1, port: 0}
                    admin: {host: 127.0.0.1, port: 0}
                    agents:
                      local: {address: 127.0.0.1:%d}
                    dataDirectory: %s
                    identity:
                      providers:
                        keycloak:
                          issuer: %s
                          audiences: [gatehouse]
                          clockSkew: 1s
                          jwks: {cacheTtl: 2s, refreshInterval: 1s, maxStaleness: 8s, timeout: 1s}
                      groups:
                        ml-leads:
                          requireMfa: {amr: [otp]}
                    """.formatted(agent.port(), data, issuer));
            write(config.resolve("endpoints/chat.yaml"), endpoint("chat", "/v1", "openai", "demo-model",
                    "providers: [keycloak]"));
            write(config.resolve("endpoints/recorded.yaml"), endpoint("recorded", "/recorded", "raw", "recorded",
                    "forwardIdentity: true"));
            write(config.resolve("endpoints/short.yaml"), endpoint("short", "/short", "raw", "recorded",
                    "maxTokenAge: 3s"));
            GatewayRuntime gateway = started.add(TestConfig.startGateway(config));
            return new IdentityStack(root, gateway, seen, started);
        } catch (Exception | Error e) {
            started.close();
            throw e;
        }
    }

    private static HttpServer recorder(List<Seen> seen) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 32);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "identity-recorder");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                Seen s = new Seen(exchange.getRequestURI().getPath(), Map.copyOf(exchange.getRequestHeaders()));
                seen.add(s);
                byte[] body = "{\"recorded\":true}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        server.start();
        return server;
    }

    private static String endpoint(String id, String path, String protocol, String service, String auth) {
        return "id: " + id + "\npath: " + path + "\nprotocol: " + protocol + "\ntarget:\n  agent: local\n  service: "
                + service + "\npipeline:\n  - auth: {" + auth + "}\n";
    }

    // ---- calls ----

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + gateway.port("http") + path);
    }

    URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + gateway.adminPort() + path);
    }

    /** GET {@code path} with the bearer token (none when null). */
    HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> admin(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(adminUri(path)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    List<Seen> seen() {
        return Collections.unmodifiableList(seen);
    }

    @Override
    public void close() {
        started.close();
        TempDirs.deleteTreeQuietly(root);
    }
}
