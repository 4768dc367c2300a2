package io.gatehouse.samplemodel;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Command line: {@code java -cp gatehouse-sample-model.jar io.gatehouse.samplemodel.SampleModelMain
 * [--host H] [--port P] [--api-key KEY | --api-key-file FILE] [--token-delay-ms MS] [--models A,B]
 * [--max-threads N] [--grpc-port P] [--answer-prefix TEXT]}. The key may instead come from {@value #KEY_ENV} (or a file named by
 * {@value #KEY_FILE_ENV}, for Docker secrets); flags win over the environment. Without a key it
 * refuses to start.
 */
public final class SampleModelMain {

    static final String KEY_ENV = "SAMPLE_MODEL_API_KEY";
    static final String KEY_FILE_ENV = "SAMPLE_MODEL_API_KEY_FILE";

    static final String USAGE = """
            Usage: sample-model [--host HOST] [--port PORT] [--api-key KEY | --api-key-file FILE]
                                [--token-delay-ms MS] [--models ID,ID...] [--max-threads N]
                                [--grpc-port PORT] [--answer-prefix TEXT]
              --host            address to bind (default 127.0.0.1)
              --port            port to bind (default 8000; 0 = any free port)
              --api-key         key that requests must send as 'Authorization: Bearer KEY'
                                (or set SAMPLE_MODEL_API_KEY; prefer the variable: flags show in ps)
              --api-key-file    file holding the key (or set SAMPLE_MODEL_API_KEY_FILE)
              --token-delay-ms  pause between streamed words (default 50)
              --models          model ids served (default demo-small,demo-large)
              --max-threads     requests served at once; more wait in a queue (default 512)
              --answer-prefix   what every answer starts with (default "You said: ")
              --grpc-port       port of inference.GRPCInferenceService (plaintext gRPC) on the same
                                host (default 8001; 0 = any free port); calls send the key as
                                'authorization: Bearer KEY' metadata
            """;

    static final String MISSING_KEY = "an API key is required: pass --api-key KEY or --api-key-file FILE, "
            + "or set " + KEY_ENV + " (clients then send 'Authorization: Bearer KEY')";

    private SampleModelMain() {
    }

    public static void main(String[] args) {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.print(USAGE);
            return;
        }
        SampleModelSettings settings;
        try {
            settings = parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            fail(System.err, e.getMessage());
            return;
        }
        SampleModelServer server;
        try {
            server = SampleModelServer.start(settings);
        } catch (IOException e) {
            System.err.println("sample-model: cannot listen on " + settings.host() + ":" + settings.port()
                    + " (HTTP) and " + settings.grpcPort() + " (gRPC): " + e);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "sample-model-shutdown"));
        System.out.println("sample-model listening on http://" + settings.host() + ":" + server.port()
                + " (models: " + String.join(", ", settings.models()) + "; token delay "
                + settings.tokenDelay().toMillis() + " ms)");
        System.out.println("sample-model gRPC (inference.GRPCInferenceService) listening on " + settings.host() + ":"
                + server.grpcPort());
    }

    private static void fail(PrintStream err, String message) {
        err.println("sample-model: " + message);
        err.print(USAGE);
        System.exit(2);
    }

    /** Settings from the arguments and environment; {@link IllegalArgumentException} says what is wrong. */
    static SampleModelSettings parse(String[] args, Map<String, String> env) {
        String host = SampleModelSettings.DEFAULT_HOST;
        int port = SampleModelSettings.DEFAULT_PORT;
        String key = null;
        String keyFile = null;
        Duration delay = SampleModelSettings.DEFAULT_TOKEN_DELAY;
        List<String> models = SampleModelSettings.DEFAULT_MODELS;
        int maxThreads = SampleModelSettings.DEFAULT_MAX_THREADS;
        int grpcPort = SampleModelSettings.DEFAULT_GRPC_PORT;
        String answerPrefix = null;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            String value;
            int eq = flag.indexOf('=');
            if (flag.startsWith("--") && eq > 0) {
                value = flag.substring(eq + 1);
                flag = flag.substring(0, eq);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException(flag.startsWith("--")
                        ? flag + " needs a value" : "unexpected argument '" + flag + "'");
            }
            switch (flag) {
                case "--host" -> host = value;
                case "--port" -> port = integer(flag, value, 0, 65535);
                case "--api-key" -> key = value;
                case "--api-key-file" -> keyFile = value;
                case "--token-delay-ms" -> delay = Duration.ofMillis(integer(flag, value, 0, Integer.MAX_VALUE));
                case "--models" -> models = Arrays.stream(value.split(",")).map(String::strip).toList();
                case "--max-threads" -> maxThreads = integer(flag, value, 1, 100_000);
                case "--grpc-port" -> grpcPort = integer(flag, value, 0, 65535);
                case "--answer-prefix" -> answerPrefix = value;
                default -> throw new IllegalArgumentException("unknown option '" + flag + "'");
            }
        }
        if (key != null && keyFile != null) {
            throw new IllegalArgumentException("--api-key and --api-key-file cannot be used together");
        }
        if (key == null && keyFile == null) {
            key = env.get(KEY_ENV);
            keyFile = key == null || key.isBlank() ? env.get(KEY_FILE_ENV) : null;
        }
        if (keyFile != null && !keyFile.isBlank()) {
            key = readKey(keyFile);
        }
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException(MISSING_KEY);
        }
        return new SampleModelSettings(host, port, key, models, delay, maxThreads, grpcPort, answerPrefix);
    }

    private static int integer(String flag, String value, int min, int max) {
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(flag + " must be an integer from " + min + " to " + max + ", got '" + value + "'");
    }

    private static String readKey(String file) {
        String key;
        try {
            key = Files.readString(Path.of(file)).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the API key file " + file + ": " + e.getClass().getSimpleName());
        }
        if (key.isEmpty()) {
            throw new IllegalArgumentException("the API key file " + file + " is empty");
        }
        return key;
    }
}
