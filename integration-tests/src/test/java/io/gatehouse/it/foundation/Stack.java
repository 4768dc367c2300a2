package io.gatehouse.it.foundation;

import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.cli.dev.DevIssuer;
import io.gatehouse.cli.dev.DevKeys;
import io.gatehouse.cli.dev.DevTokens;
import io.gatehouse.gateway.plugin.ProcessorRegistry;
import io.gatehouse.gateway.route.GatewayRuntime;
import io.gatehouse.it.support.Closer;
import io.gatehouse.it.support.TempDirs;
import io.gatehouse.it.support.TestAgent;
import io.gatehouse.it.support.TestConfig;
import io.gatehouse.samplemodel.SampleModelServer;
import io.gatehouse.samplemodel.SampleModelSettings;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The whole path in this JVM, on loopback and free ports: sample model (with a random key only the
 * agent is told, through an env function) ← agent (mutual TLS, dev certificates) ← gateway (config
 * directory written to a temp folder) and the dev issuer whose JWKS the gateway's auth step reads.
 * Start one per test class; {@link #close()} stops everything and deletes the temp folder.
 */
final class Stack implements AutoCloseable {

    static final String AUDIENCE = "gatehouse";
    static final String KEY_VARIABLE = "GATEHOUSE_IT_MODEL_KEY";
    static final String ENDPOINT = "openai";
    static final String SERVICE = "demo-model";
    static final String PROVIDER = "dev";

    /** An extra endpoint {@code id} at {@code path}, forwarded to an extra agent service at {@code upstream}. */
    record Extra(String id, String path, String service, URI upstream) {
    }

    /** What a test class may change; everything else is the demo's shape. */
    static final class Options {
        private Duration tokenDelay = Duration.ofMillis(50);
        private String requestTimeout = "30s";
        private Path pluginsDirectory = pluginsDirectoryProperty();
        private final List<Extra> extras = new ArrayList<>();

        Options tokenDelay(Duration delay) {
            this.tokenDelay = delay;
            return this;
        }

        Options requestTimeout(String timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        /** The plugins folder of gateway.yaml; null writes none (then no header-stamp step either). */
        Options pluginsDirectory(Path directory) {
            this.pluginsDirectory = directory;
            return this;
        }

        Options extra(String id, String path, String service, URI upstream) {
            extras.add(new Extra(id, path, service, upstream));
            return this;
        }
    }

    static {
        jdkHttpServersWithoutNagle();
    }

    /**
     * The JDK HttpServer (sample model, dev issuer, recording upstreams) reads {@code sun.net.httpserver.nodelay}
     * once per JVM, when the first one is created; without it each answer waits ~40 ms for a delayed ACK.
     * Every fixture that creates one calls this first, whichever test class runs first.
     */
    static void jdkHttpServersWithoutNagle() {
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    final Path root;
    final Path data;
    final Path configDirectory;
    final String modelKey;
    final RSAKey devKey;
    final DevIssuer issuer;
    final SampleModelServer model;
    final AgentServer agent;
    final GatewayRuntime gateway;
    private final Closer started;

    private Stack(Path root, Path data, Path configDirectory, String modelKey, RSAKey devKey, DevIssuer issuer,
                  SampleModelServer model, AgentServer agent, GatewayRuntime gateway, Closer started) {
        this.root = root;
        this.data = data;
        this.configDirectory = configDirectory;
        this.modelKey = modelKey;
        this.devKey = devKey;
        this.issuer = issuer;
        this.model = model;
        this.agent = agent;
        this.gateway = gateway;
        this.started = started;
    }

    static Stack start() throws Exception {
        return start(new Options());
    }

    static Stack start(Options options) throws Exception {
        Path root = Files.createTempDirectory("gatehouse-it-foundation-");
        Path data = root.resolve("data");
        Closer started = new Closer();
        try {
            String key = TestAgent.randomKey();
            SampleModelServer model = started.add(SampleModelServer.start(
                    SampleModelSettings.loopback(key).withTokenDelay(options.tokenDelay)));

            Map<String, URI> services = new LinkedHashMap<>();
            services.put(SERVICE, model.baseUri());
            for (Extra extra : options.extras) {
                services.put(extra.service(), extra.upstream());
            }
            AgentServer agent = started.add(TestAgent.start(root.resolve("agent").resolve("agent.yaml"), data,
                    services, KEY_VARIABLE, key));

            RSAKey devKey = DevKeys.loadOrCreate(data);
            DevIssuer issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));

            Path config = root.resolve("config");
            boolean inlineAuth = authStepNamesItsIssuer(options.pluginsDirectory);
            write(config.resolve("gateway.yaml"), gatewayYaml(agent.port(), data, options.pluginsDirectory,
                    inlineAuth ? null : issuer.issuer()));
            write(config.resolve("endpoints").resolve(ENDPOINT + ".yaml"), endpointYaml(ENDPOINT, "/v1", SERVICE,
                    options, inlineAuth ? issuer.issuer() : null));
            for (Extra extra : options.extras) {
                write(config.resolve("endpoints").resolve(extra.id() + ".yaml"), endpointYaml(extra.id(), extra.path(),
                        extra.service(), options, inlineAuth ? issuer.issuer() : null));
            }
            GatewayRuntime gateway = started.add(TestConfig.startGateway(config));
            return new Stack(root, data, config, key, devKey, issuer, model, agent, gateway, started);
        } catch (Exception | Error e) {
            started.close();
            deleteRecursively(root);
            throw e;
        }
    }

    /** The folder failsafe fills with the header-stamp plugin's jar (system property gatehouse.plugins.dir). */
    static Path pluginsDirectoryProperty() {
        String dir = System.getProperty("gatehouse.plugins.dir");
        if (dir == null) {
            throw new IllegalStateException("system property gatehouse.plugins.dir is not set (run through failsafe)");
        }
        return Path.of(dir).toAbsolutePath().normalize();
    }

    /** The repository root (system property gatehouse.repo.root). */
    static Path repoRoot() {
        String dir = System.getProperty("gatehouse.repo.root");
        if (dir == null) {
            throw new IllegalStateException("system property gatehouse.repo.root is not set (run through failsafe)");
        }
        return Path.of(dir).toAbsolutePath().normalize();
    }

    /**
     * Whether the {@code auth} step takes {@code jwksUrl}/{@code issuer}/{@code audiences} itself (the first
     * form) or names providers of gateway.yaml's {@code identity.providers} (the form replacing it).
     */
    private static boolean authStepNamesItsIssuer(Path plugins) {
        Class<? extends Record> auth = ProcessorRegistry.load(Stack.class.getClassLoader(), Optional.ofNullable(plugins))
                .configTypes().get("auth");
        return Arrays.stream(auth.getRecordComponents()).anyMatch(c -> c.getName().equals("jwksUrl"));
    }

    /** @param identityIssuer the dev issuer as gateway.yaml's identity provider {@code dev}; null writes none */
    private static String gatewayYaml(int agentPort, Path data, Path plugins, String identityIssuer) {
        return "listeners:\n"
                + "  http:\n"
                + "    host: 127.0.0.1\n"
                + "    port: 0\n"
                + "admin:\n"
                + "  host: 127.0.0.1\n"
                + "  port: 0\n"
                + "agents:\n"
                + "  local:\n"
                + "    address: 127.0.0.1:" + agentPort + "\n"
                + "dataDirectory: " + data + "\n"
                + (plugins == null ? "" : "plugins:\n  directory: " + plugins + "\n")
                + (identityIssuer == null ? "" : "identity:\n"
                + "  providers:\n"
                + "    " + PROVIDER + ":\n"
                + "      issuer: " + identityIssuer + "\n"
                + "      audiences: [" + AUDIENCE + "]\n");
    }

    /** @param issuer the issuer the auth step names itself; null names the gateway's provider instead */
    private static String endpointYaml(String id, String path, String service, Options options, String issuer) {
        return "id: " + id + "\n"
                + "listener: http\n"
                + "path: " + path + "\n"
                + "protocol: openai\n"
                + "target:\n"
                + "  agent: local\n"
                + "  service: " + service + "\n"
                + "pipeline:\n"
                + "  - limits:\n"
                + "      maxBodyBytes: 1MiB\n"
                + "      requestTimeout: " + options.requestTimeout + "\n"
                + "  - auth:\n"
                + (issuer == null ? "      providers: [" + PROVIDER + "]\n"
                : "      jwksUrl: " + issuer + "/jwks.json\n"
                + "      issuer: " + issuer + "\n"
                + "      audiences: [" + AUDIENCE + "]\n")
                + (options.pluginsDirectory == null ? "" : "  - header-stamp:\n"
                + "      name: Gatehouse-Served-By\n"
                + "      value: gatehouse-it\n");
    }

    // ---- addresses and tokens ----

    int port() {
        return gateway.port("http");
    }

    /** The OpenAI base URL, {@code http://127.0.0.1:<port>/v1}. */
    String baseUrl() {
        return "http://127.0.0.1:" + port() + "/v1";
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + gateway.adminPort() + path);
    }

    /** A dev-issuer token for alice in group analysts, valid one hour. */
    String token() {
        return token("alice", List.of("analysts"));
    }

    String token(String user, List<String> groups) {
        return DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, user, groups, Duration.ofHours(1), Instant.now());
    }

    /** Stops the agent now (readiness tests); {@link #close()} stops it again harmlessly. */
    void stopAgent() {
        agent.close();
    }

    /** Stops the model now (model-down tests). */
    void stopModel() {
        model.close();
    }

    @Override
    public void close() {
        started.close();
        deleteRecursively(root);
    }

    // ---- files ----

    static Path write(Path file, String text) throws IOException {
        return TempDirs.write(file, text);
    }

    static void copyRecursively(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : files.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
    }

    static void deleteRecursively(Path dir) {
        TempDirs.deleteTree(dir);
    }

    /** The one jar of the plugins folder failsafe prepares. */
    static Path headerStampJar() throws IOException {
        try (Stream<Path> files = Files.list(pluginsDirectoryProperty())) {
            Optional<Path> jar = files.filter(p -> p.getFileName().toString().startsWith("gatehouse-plugin-header-stamp")
                    && p.toString().endsWith(".jar")).findFirst();
            return jar.orElseThrow(() -> new IllegalStateException("no header-stamp jar in " + pluginsDirectoryProperty()));
        }
    }
}
