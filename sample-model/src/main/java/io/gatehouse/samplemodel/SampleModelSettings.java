package io.gatehouse.samplemodel;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * How a {@link SampleModelServer} runs.
 *
 * @param host       address to bind; {@code null} means {@value #DEFAULT_HOST}
 * @param port       port to bind, 0 for any free port
 * @param apiKey     required credential: every request except {@code GET /health} must carry
 *                   {@code Authorization: Bearer <apiKey>}; never shown by {@link #toString()}
 * @param models     model ids served; {@code null} means {@link #DEFAULT_MODELS}
 * @param tokenDelay pause between streamed words; {@code null} means {@link #DEFAULT_TOKEN_DELAY}.
 *                   A request may override it with the {@code X-Sample-Token-Delay-Ms} header.
 * @param maxThreads worker threads, i.e. requests served at once (a stream holds its thread while it
 *                   sleeps between words); more requests wait in a queue for a free worker
 * @param grpcPort   port of the gRPC side ({@code inference.GRPCInferenceService}, plaintext HTTP/2) on the
 *                   same host, 0 for any free port; the constructors without it use {@value #DEFAULT_GRPC_PORT},
 *                   or 0 when {@code port} is 0. Its calls need the same key, as {@code authorization} metadata.
 * @param answerPrefix what every generated answer starts with, before the echoed prompt; {@code null} means
 *                   {@value #DEFAULT_ANSWER_PREFIX}. A second instance with another prefix stands in for another
 *                   model version (replay-and-diff tests).
 */
public record SampleModelSettings(String host, int port, String apiKey, List<String> models, Duration tokenDelay,
        int maxThreads, int grpcPort, String answerPrefix) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8000;
    public static final List<String> DEFAULT_MODELS = List.of("demo-small", "demo-large");
    public static final Duration DEFAULT_TOKEN_DELAY = Duration.ofMillis(50);
    /** Enough for ~300 concurrent slow streams plus headroom for fast requests beside them. */
    public static final int DEFAULT_MAX_THREADS = 512;
    public static final int DEFAULT_GRPC_PORT = 8001;
    public static final String DEFAULT_ANSWER_PREFIX = "You said: ";

    public SampleModelSettings {
        host = host == null ? DEFAULT_HOST : host;
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
        }
        if (apiKey == null || apiKey.isBlank()) {
            throw new IllegalArgumentException("apiKey is required: requests must carry Authorization: Bearer <apiKey>");
        }
        models = models == null ? DEFAULT_MODELS : List.copyOf(models);
        if (models.isEmpty()) {
            throw new IllegalArgumentException("models must name at least one model");
        }
        if (models.stream().anyMatch(String::isBlank) || new HashSet<>(models).size() != models.size()) {
            throw new IllegalArgumentException("models must be distinct and not blank, got " + models);
        }
        tokenDelay = tokenDelay == null ? DEFAULT_TOKEN_DELAY : tokenDelay;
        if (tokenDelay.isNegative()) {
            throw new IllegalArgumentException("tokenDelay must not be negative, got " + tokenDelay);
        }
        if (maxThreads < 1) {
            throw new IllegalArgumentException("maxThreads must be at least 1, got " + maxThreads);
        }
        if (grpcPort < 0 || grpcPort > 65535) {
            throw new IllegalArgumentException("grpcPort must be between 0 and 65535, got " + grpcPort);
        }
        answerPrefix = answerPrefix == null ? DEFAULT_ANSWER_PREFIX : answerPrefix;
    }

    /** The default answer prefix ({@value #DEFAULT_ANSWER_PREFIX}). */
    public SampleModelSettings(String host, int port, String apiKey, List<String> models, Duration tokenDelay,
            int maxThreads, int grpcPort) {
        this(host, port, apiKey, models, tokenDelay, maxThreads, grpcPort, null);
    }

    /** The gRPC port is {@link #DEFAULT_GRPC_PORT}, or 0 (a free port) when {@code port} is 0. */
    public SampleModelSettings(String host, int port, String apiKey, List<String> models, Duration tokenDelay,
            int maxThreads) {
        this(host, port, apiKey, models, tokenDelay, maxThreads, port == 0 ? 0 : DEFAULT_GRPC_PORT);
    }

    /** The settings named in the brief; {@code maxThreads} is {@link #DEFAULT_MAX_THREADS}. */
    public SampleModelSettings(String host, int port, String apiKey, List<String> models, Duration tokenDelay) {
        this(host, port, apiKey, models, tokenDelay, DEFAULT_MAX_THREADS);
    }

    /** 127.0.0.1, free ports (HTTP and gRPC), the default models, delay and threads: what tests want. */
    public static SampleModelSettings loopback(String apiKey) {
        return new SampleModelSettings(DEFAULT_HOST, 0, apiKey, null, null, DEFAULT_MAX_THREADS, 0);
    }

    public SampleModelSettings withTokenDelay(Duration delay) {
        return new SampleModelSettings(host, port, apiKey, models, Objects.requireNonNull(delay, "delay"), maxThreads,
                grpcPort, answerPrefix);
    }

    public SampleModelSettings withMaxThreads(int threads) {
        return new SampleModelSettings(host, port, apiKey, models, tokenDelay, threads, grpcPort, answerPrefix);
    }

    public SampleModelSettings withModels(List<String> ids) {
        return new SampleModelSettings(host, port, apiKey, Objects.requireNonNull(ids, "ids"), tokenDelay, maxThreads,
                grpcPort, answerPrefix);
    }

    public SampleModelSettings withGrpcPort(int port) {
        return new SampleModelSettings(host, this.port, apiKey, models, tokenDelay, maxThreads, port, answerPrefix);
    }

    public SampleModelSettings withAnswerPrefix(String prefix) {
        return new SampleModelSettings(host, port, apiKey, models, tokenDelay, maxThreads, grpcPort,
                Objects.requireNonNull(prefix, "prefix"));
    }

    @Override
    public String toString() {
        return "SampleModelSettings[host=" + host + ", port=" + port + ", apiKey=***, models=" + models
                + ", tokenDelay=" + tokenDelay + ", maxThreads=" + maxThreads + ", grpcPort=" + grpcPort + ", answerPrefix=" + answerPrefix + "]";
    }
}
