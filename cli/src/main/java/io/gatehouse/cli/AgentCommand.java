package io.gatehouse.cli;

import io.gatehouse.agent.AgentServer;
import io.gatehouse.agent.AgentSettings;
import io.gatehouse.config.LoadResult;
import io.gatehouse.config.YamlFiles;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gatehouse agent --config FILE}: runs the agent that sits beside a model and holds its credential. */
@Command(name = "agent", mixinStandardHelpOptions = true, description = "Runs the agent beside a model server.")
final class AgentCommand implements Callable<Integer> {

    /** The environment variable the demo's agent.yaml reads the sample model's key from. */
    static final String DEMO_KEY_VARIABLE = "DEMO_MODEL_API_KEY";

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "the agent's YAML file")
    Path config;

    @Option(names = "--with-sample-model", hidden = true,
            description = "demo only: also start the sample model, as its own process, with a fresh random key known"
                    + " to this process and the model only")
    boolean withSampleModel;

    @Option(names = "--sample-model-cp", hidden = true, paramLabel = "CLASSPATH",
            description = "demo only: the sample model's jar (default: $" + SampleModelProcess.CLASSPATH_VARIABLE
                    + ", else " + SampleModelProcess.DEFAULT_CLASSPATH + ")")
    String sampleModelClasspath;

    @Option(names = "--model-port", hidden = true, defaultValue = "8000")
    int modelPort;

    @Option(names = "--model-grpc-port", hidden = true, defaultValue = "8001",
            description = "demo only: the sample model's gRPC port (inference.GRPCInferenceService)")
    int modelGrpcPort;

    @Option(names = "--drain-timeout", defaultValue = "30s", converter = DurationConverter.class,
            description = "on SIGTERM, how long calls being forwarded may take to finish before they are cancelled"
                    + " (default: ${DEFAULT-VALUE})")
    Duration drainTimeout;

    @Option(names = "--token-delay-ms", hidden = true, defaultValue = "50")
    long tokenDelayMillis;

    @Override
    public Integer call() throws Exception {
        Function<String, String> env = System::getenv;
        SampleModelProcess model = null;
        if (withSampleModel) {
            // The key is born here and given to the model and the agent only: the gateway never has it.
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            String key = "sk-demo-" + HexFormat.of().formatHex(random);
            // The model runs as its own JVM from its own jar: it is on no Gatehouse class path.
            try {
                model = SampleModelProcess.start(SampleModelProcess.classpath(sampleModelClasspath, System::getenv),
                        "127.0.0.1", modelPort, modelGrpcPort, Duration.ofMillis(tokenDelayMillis), key);
            } catch (IllegalStateException e) {
                System.err.println("gatehouse agent: not started: " + e.getMessage());
                return 1;
            }
            env = name -> DEMO_KEY_VARIABLE.equals(name) ? key : System.getenv(name);
        }
        LoadResult<AgentSettings> settings = YamlFiles.bind(config, AgentSettings.class, env);
        if (!settings.isValid()) {
            settings.formattedErrors().forEach(System.err::println);
            System.err.println("gatehouse agent: not started: fix " + config);
            if (model != null) {
                model.close();
            }
            return 1;
        }
        AgentServer server;
        try {
            server = AgentServer.start(settings.orThrow(), config.toAbsolutePath().getParent());
        } catch (Exception | Error e) {
            if (model != null) {
                model.close();
            }
            throw e;
        }
        AgentSettings started0 = settings.orThrow();
        String mode = started0.listens() ? "listening on port " + server.port() + " (mutual TLS)" : "";
        if (started0.gateway() != null) {
            mode += (mode.isEmpty() ? "" : ", ") + "dialling the gateway at " + started0.gateway().address() + " as '"
                    + started0.gateway().agent() + "' (mutual TLS)";
        }
        System.err.println("gatehouse agent " + mode + (model != null ? "; sample model (process " + model.pid() + ") on port " + modelPort + ", gRPC on port " + modelGrpcPort : ""));
        CountDownLatch stop = new CountDownLatch(1);
        SampleModelProcess started = model;
        // SIGTERM / SIGINT: drain (calls being forwarded finish, up to --drain-timeout), then exit 0.
        Signals.on("TERM", stop::countDown);
        Signals.on("INT", stop::countDown);
        Thread hook = new Thread(() -> {
            server.close();
            if (started != null) {
                started.close();
            }
        }, "gatehouse-agent-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stop.await();
        server.close(drainTimeout);
        if (started != null) {
            started.close();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyStopping) {
            // the JVM is exiting anyway
        }
        System.err.println("gatehouse agent: stopped");
        return 0;
    }
}
