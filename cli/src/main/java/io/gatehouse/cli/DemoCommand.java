package io.gatehouse.cli;

import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.config.AgentConnectionConfig;
import io.gatehouse.cli.dev.DevIssuer;
import io.gatehouse.cli.dev.DevKeys;
import io.gatehouse.gateway.GatewayAssembly;
import io.gatehouse.gateway.route.GatewayRuntime;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gatehouse demo}: the whole path on one machine. The gateway and the dev issuer run in this
 * process; the agent runs in a child process, which makes the model's key and starts the sample model
 * as its own process (from its own jar): only those two ever know the key, and the sample model is
 * never on the gateway's class path.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Starts gateway + agent + sample model + dev issuer and prints how to call them.")
final class DemoCommand implements Callable<Integer> {

    static final String ISSUER = "http://127.0.0.1:8090";
    static final String AUDIENCE = "gatehouse";

    @Option(names = "--config", paramLabel = "DIR", description = "the demo config directory (default:"
            + " config/examples/demo, or config/examples/keycloak with --idp keycloak)")
    Path config;

    /** Who issues the demo's tokens. */
    enum Idp { DEV, KEYCLOAK }

    @Option(names = "--idp", defaultValue = "dev", description = "dev: a built-in token issuer (./gatehouse token);"
            + " keycloak: a real Keycloak on 127.0.0.1:8180 (started with ./gatehouse keycloak when not running)."
            + " Default: ${DEFAULT-VALUE}")
    Idp idp;

    @Option(names = "--data", defaultValue = "data", description = "where keys and certificates are kept "
            + "(default: ${DEFAULT-VALUE})")
    Path data;

    @Option(names = "--token-delay-ms", defaultValue = "50",
            description = "pause of the sample model between streamed words (default: ${DEFAULT-VALUE})")
    long tokenDelayMillis;

    @Option(names = "--agent-dials-out", description = "run the agent in dial-out mode: it has no listening port and"
            + " connects to the gateway's agent tunnel on 127.0.0.1:7444 (agent-dialout.yaml)")
    boolean agentDialsOut;

    @Option(names = "--force-dev-issuer-bind", hidden = true)
    boolean forceIssuerBind;

    @Option(names = "--sample-model-cp", paramLabel = "CLASSPATH", description = "the sample model's jar (default: $"
            + SampleModelProcess.CLASSPATH_VARIABLE + ", which ./gatehouse sets, else "
            + SampleModelProcess.DEFAULT_CLASSPATH + ")")
    String sampleModelClasspath;

    @Override
    public Integer call() throws Exception {
        if (config == null) {
            config = Path.of(idp == Idp.KEYCLOAK ? "config/examples/keycloak" : "config/examples/demo");
        }
        GatewayAssembly.Loaded loaded = GatewayAssembly.load(config, System::getenv);
        if (!loaded.errors().isEmpty()) {
            loaded.errors().forEach(System.err::println);
            return 1;
        }
        String modelClasspath = SampleModelProcess.classpath(sampleModelClasspath, System::getenv);
        Optional<String> notBuilt = SampleModelProcess.missing(modelClasspath);
        if (notBuilt.isPresent()) {
            System.err.println("gatehouse demo: " + notBuilt.get());
            return 1;
        }
        List<AutoCloseable> running = new ArrayList<>();
        if (idp == Idp.KEYCLOAK) {
            Process keycloak = startKeycloakUnlessRunning();
            if (keycloak != null) {
                running.add(keycloak::destroy);
            }
        } else {
            RSAKey key = DevKeys.loadOrCreate(data);
            DevIssuer issuer = DevIssuer.start("127.0.0.1", 8090, key, forceIssuerBind);
            say("dev issuer       " + issuer.issuer() + "/jwks.json");
            running.add(issuer);
        }

        io.gatehouse.config.GatewayConfig gatewayConfig = agentDialsOut ? dialOut(loaded.config()) : loaded.config();
        GatewayRuntime gateway = null;
        if (agentDialsOut) {
            // The gateway first: the agent connects to it (it would also retry until the gateway is up).
            gateway = GatewayRuntime.start(gatewayConfig, loaded.registry());
            running.add(0, gateway);
        }
        Process agent = startAgent(modelClasspath);
        running.add(agent::destroy);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> closeAll(running), "gatehouse-demo-shutdown"));
        if (agentDialsOut) {
            awaitDialIn(gateway, agent);
            say("agent            dialled in to the agent tunnel 127.0.0.1:" + gateway.agentTunnelPort()
                    + " (it has no listening port)");
        } else {
            for (AgentConnectionConfig a : loaded.config().agents().values()) {
                awaitPort(a.host(), a.port(), agent);
            }
            gateway = GatewayRuntime.start(gatewayConfig, loaded.registry());
            running.add(0, gateway);
        }
        int port = gateway.port("http");
        String base = "http://127.0.0.1:" + port + "/v1";
        say("gateway          " + base + "   (OpenAI base URL)");
        if (loaded.config().listeners().containsKey("grpc")) {
            say("gRPC             127.0.0.1:" + gateway.port("grpc") + "   (inference.GRPCInferenceService, h2c:"
                    + " Triton / KServe clients, bearer token in the authorization metadata)");
        }
        say("admin            http://127.0.0.1:" + gateway.adminPort() + "/readyz  /metrics  /healthz");
        if (loaded.config().admin().console().isPresent()) {
            say("console          http://127.0.0.1:" + gateway.adminPort() + "/console/   (sign in as carol to approve,"
                    + " dave to audit)");
        }
        say("");
        say("Try it:");
        if (idp == Idp.KEYCLOAK) {
            say("  export TOKEN=$(curl -s " + KEYCLOAK_ISSUER + "/protocol/openid-connect/token \\");
            say("       -d grant_type=password \\");
            say("       -d client_id=gatehouse -d username=alice -d password=alice-password \\");
            say("       | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/')");
        } else {
            say("  export TOKEN=$(./gatehouse token --user alice --groups analysts)");
        }
        say("  curl -s " + base + "/chat/completions -H \"Authorization: Bearer $TOKEN\" \\");
        say("       -H 'Content-Type: application/json' \\");
        say("       -d '{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello from alice\"}]}'");
        say("  curl -N " + base + "/chat/completions -H \"Authorization: Bearer $TOKEN\" \\");
        say("       -H 'Content-Type: application/json' \\");
        say("       -d '{\"model\":\"demo-small\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"stream these words one by one\"}]}'");
        say("  curl -i " + base + "/models        # no token: 401 application/problem+json");
        loaded.config().endpoints().stream().filter(e -> "ollama".equals(e.protocol()) && e.path() != null)
                .findFirst().ifPresent(e -> {
                    String ollama = "http://127.0.0.1:" + port + e.path();
                    say("Ollama's own API at " + ollama + " (Ollama clients: host " + ollama
                            + ", Authorization: Bearer $TOKEN):");
                    say("  curl -N " + ollama + "/api/chat -H \"Authorization: Bearer $TOKEN\" \\");
                    say("       -H 'Content-Type: application/json' \\");
                    say("       -d '{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":"
                            + "\"Hello over Ollama\"}]}'");
                    say("  curl -s " + ollama + "/api/tags -H \"Authorization: Bearer $TOKEN\"");
                });
        say("");
        say("Agent and model log: " + data.resolve("demo").resolve("agent.log") + ". Press Ctrl-C to stop.");
        new CountDownLatch(1).await();
        return 0;
    }

    static final String KEYCLOAK_ISSUER = "http://127.0.0.1:8180/realms/gatehouse";

    /** Null when Keycloak already answers on 127.0.0.1:8180; else the child running {@code gatehouse keycloak}. */
    private Process startKeycloakUnlessRunning() throws IOException, InterruptedException {
        if (keycloakAnswers()) {
            say("keycloak         " + KEYCLOAK_ISSUER + " (already running)");
            return null;
        }
        Path log = Files.createDirectories(data.resolve("demo")).resolve("keycloak.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                GatehouseCommand.class.getName(), "keycloak", "--data", data.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        say("keycloak         starting as child process " + process.pid() + "; the first run fetches it through"
                + " Maven (progress: " + log + ")");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (!keycloakAnswers()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroy();
                throw new IllegalStateException("Keycloak did not start; see " + log);
            }
            Thread.sleep(1000);
        }
        say("keycloak         " + KEYCLOAK_ISSUER);
        return process;
    }

    private static boolean keycloakAnswers() {
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                    .connectTimeout(java.time.Duration.ofSeconds(2)).build();
            return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(KEYCLOAK_ISSUER
                            + "/.well-known/openid-configuration")).timeout(java.time.Duration.ofSeconds(3)).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private Process startAgent(String modelClasspath) throws IOException {
        Path logDir = data.resolve("demo");
        Files.createDirectories(logDir);
        Path log = logDir.resolve("agent.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-cp", System.getProperty("java.class.path"),
                GatehouseCommand.class.getName(), "agent", "--config",
                config.resolve(agentDialsOut ? "agent-dialout.yaml" : "agent.yaml").toString(),
                "--with-sample-model", "--sample-model-cp", modelClasspath, "--model-port", "8000",
                "--model-grpc-port", "8001", "--token-delay-ms", Long.toString(tokenDelayMillis));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        say("agent            child process " + process.pid() + "; it starts the sample model as its own process"
                + " (127.0.0.1:8000, gRPC 127.0.0.1:8001)");
        return process;
    }

    /**
     * The demo's gateway config with its agents dialling in: an agent tunnel on 127.0.0.1:7444, and each agent name
     * served by the dev certificate's identity instead of a listening address.
     */
    static io.gatehouse.config.GatewayConfig dialOut(io.gatehouse.config.GatewayConfig c) {
        java.util.Map<String, AgentConnectionConfig> agents = new java.util.LinkedHashMap<>();
        c.agents().forEach((name, a) -> agents.put(name, new AgentConnectionConfig(name, List.of(), a.tls(),
                List.of(io.gatehouse.agent.DevCertificates.AGENT_COMMON_NAME))));
        return new io.gatehouse.config.GatewayConfig(c.directory(), c.listeners(), c.admin(), agents, c.dataDirectory(),
                c.pluginsDirectory(), c.endpoints(), c.sections(), c.store(), c.directories(), c.lifecycle(),
                new io.gatehouse.config.AgentTunnelConfig("127.0.0.1", 7444, null,
                        io.gatehouse.config.AgentTunnelConfig.DEFAULT_SLOT_WAIT));
    }

    private static void awaitDialIn(GatewayRuntime gateway, Process agent) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (gateway.dialledInAgents("local") == 0) {
            if (!agent.isAlive()) {
                throw new IllegalStateException("the agent process exited with " + agent.exitValue()
                        + "; see data/demo/agent.log");
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the agent did not dial in within 60 s; see data/demo/agent.log");
            }
            Thread.sleep(100);
        }
    }

    private static void awaitPort(String host, int port, Process agent) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!agent.isAlive()) {
                throw new IllegalStateException("the agent process exited with " + agent.exitValue()
                        + "; see data/demo/agent.log");
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("the agent did not listen on " + host + ":" + port + " within 60s");
    }

    private static void closeAll(List<AutoCloseable> running) {
        for (AutoCloseable c : running) {
            try {
                c.close();
            } catch (Exception ignored) {
                // shutting down: nothing left to tell
            }
        }
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
