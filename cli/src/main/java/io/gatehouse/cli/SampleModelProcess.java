package io.gatehouse.cli;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The demo's sample model, run as its own JVM from its own jar
 * ({@code java -cp sample-model/target/gatehouse-sample-model.jar io.gatehouse.samplemodel.SampleModelMain}).
 * The model is never on the gateway's class path, nor on this CLI's: neither the runnable layout nor the
 * Docker image carries it. Its key goes to the child through the environment only (a flag would show in
 * {@code ps}), so the key stays with whoever starts it — the demo's agent process — and the model.
 */
final class SampleModelProcess implements AutoCloseable {

    /** Where the sample model's jar (or class path) is, when no option names it; {@code ./gatehouse} sets it. */
    static final String CLASSPATH_VARIABLE = "GATEHOUSE_SAMPLE_MODEL_CP";
    /** The sample model's runnable jar in a built tree, relative to the repository root. */
    static final String DEFAULT_CLASSPATH = "sample-model/target/gatehouse-sample-model.jar";
    static final String MAIN_CLASS = "io.gatehouse.samplemodel.SampleModelMain";
    /** The variable SampleModelMain reads its key from. */
    static final String KEY_VARIABLE = "SAMPLE_MODEL_API_KEY";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;

    private SampleModelProcess(Process process) {
        this.process = process;
    }

    /** The class path to start the model from: the option, else {@value #CLASSPATH_VARIABLE}, else the built tree's jar. */
    static String classpath(String option, Function<String, String> env) {
        if (option != null && !option.isBlank()) {
            return option;
        }
        String fromEnv = env.apply(CLASSPATH_VARIABLE);
        return fromEnv != null && !fromEnv.isBlank() ? fromEnv : DEFAULT_CLASSPATH;
    }

    /** Why the model cannot start from {@code classpath} (an entry that does not exist), or empty. */
    static Optional<String> missing(String classpath) {
        for (String entry : classpath.split(File.pathSeparator)) {
            String file = entry.endsWith("/*") ? entry.substring(0, entry.length() - 2) : entry;
            if (file.isBlank() || !Files.exists(Path.of(file))) {
                return Optional.of("the sample model is not built: '" + entry + "' does not exist (./gatehouse builds it;"
                        + " or run mvn -B -DskipTests -pl sample-model -am package, or set " + CLASSPATH_VARIABLE
                        + " to its jar)");
            }
        }
        return Optional.empty();
    }

    /**
     * Starts the model on {@code host:port} (HTTP) and {@code host:grpcPort} (gRPC) and returns once both
     * accept connections. Its output goes where this process's goes.
     *
     * @throws IllegalStateException when the class path is incomplete, or the model exits or stays silent
     */
    static SampleModelProcess start(String classpath, String host, int port, int grpcPort, Duration tokenDelay,
                                    String key) throws IOException, InterruptedException {
        missing(classpath).ifPresent(problem -> {
            throw new IllegalStateException(problem);
        });
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(List.of(java, "-cp", classpath, MAIN_CLASS,
                "--host", host, "--port", Integer.toString(port), "--grpc-port", Integer.toString(grpcPort),
                "--token-delay-ms", Long.toString(tokenDelay.toMillis()))).inheritIO();
        builder.environment().put(KEY_VARIABLE, key);
        builder.environment().remove("SAMPLE_MODEL_API_KEY_FILE");
        SampleModelProcess model = new SampleModelProcess(builder.start());
        try {
            model.awaitListening(host, port);
            model.awaitListening(host, grpcPort);
        } catch (RuntimeException | InterruptedException e) {
            model.close();
            throw e;
        }
        return model;
    }

    private void awaitListening(String host, int port) throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the sample model exited with " + process.exitValue()
                        + " before listening on " + host + ":" + port + " (its output is above)");
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the sample model did not listen on " + host + ":" + port + " within "
                + START_TIMEOUT.toSeconds() + "s");
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Stops the model: SIGTERM (its shutdown hook closes the servers), then SIGKILL after 5 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
