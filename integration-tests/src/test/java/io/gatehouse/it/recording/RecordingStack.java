package io.gatehouse.it.recording;

import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.config.LoadResult;
import io.gatehouse.cli.GatehouseCommand;
import io.gatehouse.cli.dev.DevIssuer;
import io.gatehouse.cli.dev.DevKeys;
import io.gatehouse.cli.dev.DevTokens;
import io.gatehouse.gateway.plugin.ProcessorRegistry;
import io.gatehouse.gateway.route.GatewayRuntime;
import io.gatehouse.it.support.Closer;
import io.gatehouse.it.support.Logs;
import io.gatehouse.it.support.Loopback;
import io.gatehouse.it.support.TempDirs;
import io.gatehouse.it.support.TestAgent;
import io.gatehouse.samplemodel.SampleModelServer;
import io.gatehouse.samplemodel.SampleModelSettings;
import io.gatehouse.spi.ProcessorFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;

/**
 * Model, agent and dev issuer in this JVM on loopback; the gateway either in this JVM (with extra
 * test processors in its registry) or as a child JVM ({@code GatehouseCommand serve}) that a test
 * may kill. The config directory is written once; the gateway's ports are chosen once and kept
 * across restarts, as are its data directory and store.
 */
final class RecordingStack implements AutoCloseable {

    static final String AUDIENCE = "gatehouse";
    static final String KEY_VARIABLE = "GATEHOUSE_IT_MODEL_KEY";

    /** What a test may change. */
    static final class Options {
        String storeYaml = "";
        String extraSteps = "";
        String recordingYaml = "{}";
        String limitsBodyBytes = "1KiB";
        Duration tokenDelay = Duration.ofMillis(20);
        List<ProcessorFactory<?>> extraFactories = List.of();

        Options store(String yaml) {
            this.storeYaml = yaml;
            return this;
        }

        Options steps(String yaml, ProcessorFactory<?>... factories) {
            this.extraSteps = yaml;
            this.extraFactories = List.of(factories);
            return this;
        }

        Options recording(String yaml) {
            this.recordingYaml = yaml;
            return this;
        }

        Options limitsBody(String size) {
            this.limitsBodyBytes = size;
            return this;
        }

        Options tokenDelay(Duration delay) {
            this.tokenDelay = delay;
            return this;
        }
    }

    final Path root;
    final Path data;
    final Path config;
    final String modelKey;
    final int port;
    final int adminPort;
    private final RSAKey devKey;
    private final DevIssuer issuer;
    private final Closer started;
    private final Options options;
    private GatewayRuntime gateway;
    private Process child;

    private RecordingStack(Path root, String modelKey, int port, int adminPort, RSAKey devKey, DevIssuer issuer,
                           Closer started, Options options) {
        this.root = root;
        this.data = root.resolve("data");
        this.config = root.resolve("config");
        this.modelKey = modelKey;
        this.port = port;
        this.adminPort = adminPort;
        this.devKey = devKey;
        this.issuer = issuer;
        this.started = started;
        this.options = options;
    }

    /** Starts model, agent and issuer and writes the config; the gateway is started separately. */
    static RecordingStack prepare(Options options) throws Exception {
        Path root = Files.createTempDirectory("gatehouse-it-recording-");
        Closer started = new Closer();
        try {
            String key = TestAgent.randomKey();
            SampleModelServer model = started.add(SampleModelServer.start(SampleModelSettings.loopback(key)
                    .withTokenDelay(options.tokenDelay)));
            Path data = root.resolve("data");
            AgentServer agent = started.add(TestAgent.start(root.resolve("agent/agent.yaml"), data,
                    Map.of("demo-model", model.baseUri()), KEY_VARIABLE, key));
            RSAKey devKey = DevKeys.loadOrCreate(data);
            DevIssuer issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));
            int port = freePort();
            int adminPort = freePort();
            Path config = root.resolve("config");
            write(config.resolve("gateway.yaml"), "listeners:\n  http:\n    host: 127.0.0.1\n    port: " + port + "\n"
                    + "admin:\n  host: 127.0.0.1\n  port: " + adminPort + "\n  auth:\n    providers: [dev]\n"
                    + "  auditors: [auditors]\n"
                    + "agents:\n  local:\n    address: 127.0.0.1:" + agent.port() + "\n"
                    + "identity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer() + "\n"
                    + "      audiences: [" + AUDIENCE + "]\n"
                    + "dataDirectory: " + data + "\n" + options.storeYaml);
            write(config.resolve("endpoints/openai.yaml"), "id: openai\nlistener: http\npath: /v1\nprotocol: openai\n"
                    + "target:\n  agent: local\n  service: demo-model\npipeline:\n"
                    + "  - recording: " + options.recordingYaml + "\n"
                    + "  - limits:\n      maxBodyBytes: " + options.limitsBodyBytes + "\n"
                    + "  - auth:\n      providers: [dev]\n" + options.extraSteps);
            return new RecordingStack(root, key, port, adminPort, devKey, issuer, started, options);
        } catch (Exception | Error e) {
            started.close();
            deleteRecursively(root);
            throw e;
        }
    }

    /** Starts the gateway in this JVM, with the built-in processors and the test's own. */
    RecordingStack startInJvm() throws Exception {
        List<ProcessorFactory<?>> factories = new ArrayList<>();
        ServiceLoader.load(ProcessorFactory.class).forEach(factories::add);
        factories.removeIf(f -> f.id().equals("header-stamp"));
        factories.addAll(options.extraFactories);
        ProcessorRegistry registry = ProcessorRegistry.of(factories);
        LoadResult<GatewayConfig> loaded = new ConfigLoader(registry.configTypes(), registry.sectionTypes(),
                name -> null).load(config);
        gateway = GatewayRuntime.start(loaded.orThrow(), registry);
        return this;
    }

    /** Starts {@code gatehouse serve} as a child JVM and waits until {@code /readyz} answers 200. */
    Process startChild() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), GatehouseCommand.class.getName(),
                "serve", "--config", config.toString());
        Path log = root.resolve("gateway.log");
        child = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        while (System.nanoTime() < deadline) {
            if (!child.isAlive()) {
                throw new IllegalStateException("the gateway exited with " + child.exitValue() + ":\n"
                        + tail(log));
            }
            try {
                HttpResponse<String> ready = http.send(HttpRequest.newBuilder(adminUri("/readyz"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (ready.statusCode() == 200) {
                    return child;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        child.destroyForcibly();
        throw new IllegalStateException("the gateway was not ready within 60s:\n" + tail(log));
    }

    /** {@code kill -9} of the child gateway. */
    void killChild() throws InterruptedException {
        child.destroyForcibly();
        child.waitFor(30, TimeUnit.SECONDS);
    }

    /** A graceful stop of the child (SIGTERM: its shutdown hook closes the gateway). */
    void stopChild() throws InterruptedException {
        child.destroy();
        if (!child.waitFor(30, TimeUnit.SECONDS)) {
            child.destroyForcibly();
        }
    }

    String gatewayLog() {
        return tail(root.resolve("gateway.log"));
    }

    void stopInJvm() {
        if (gateway != null) {
            gateway.close();
            gateway = null;
        }
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + adminPort + path);
    }

    String token(String user, String... groups) {
        return DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, user, List.of(groups), Duration.ofHours(1),
                Instant.now());
    }

    @Override
    public void close() {
        stopInJvm();
        if (child != null && child.isAlive()) {
            child.destroyForcibly();
        }
        started.close();
        deleteRecursively(root);
    }

    static int freePort() throws IOException {
        return Loopback.freePort();
    }

    static Path write(Path file, String text) throws IOException {
        return TempDirs.write(file, text);
    }

    private static String tail(Path log) {
        return Logs.tail(log, 40);
    }

    static void deleteRecursively(Path dir) {
        TempDirs.deleteTree(dir);
    }
}
