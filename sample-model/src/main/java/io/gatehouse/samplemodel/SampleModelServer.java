package io.gatehouse.samplemodel;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small model server on the JDK's {@link HttpServer} that speaks the APIs of the servers Gatehouse fronts,
 * all with the same echo: Ollama's native {@code /api/*} ({@link OllamaApi}), vLLM's LoRA admin
 * ({@link LoraAdaptersEndpoint}), llama.cpp server's {@code /completion}, {@code /slots}, {@code /props}
 * ({@link LlamaCppApi}), TGI's {@code /generate}, {@code /generate_stream}, {@code /info} ({@link TgiApi}),
 * OpenAI fine-tuning ({@link FineTuningEndpoint}), and the OpenAI-compatible API: {@code GET /v1/models},
 * {@code POST /v1/chat/completions}, {@code POST /v1/completions}, {@code POST /v1/embeddings},
 * {@code /v1/files} (upload, list, get, content), {@code /v1/batches} (create, which runs the batch at
 * once, list, get), and an unauthenticated {@code GET /health}. Answers are deterministic
 * ({@code "You said: <prompt>"}) so tests can assert them; streams send one SSE event per word.
 *
 * <p>Beside it, on {@link SampleModelSettings#grpcPort()} of the same host, a plaintext gRPC server
 * serves {@code inference.GRPCInferenceService} (KServe v2 / Triton; see {@link InferenceService}) for
 * the same models, with the same key as {@code authorization: Bearer <key>} metadata. What it saw is in
 * {@link #grpcCounters()}, and at {@code GET /debug/grpc} on the HTTP side.
 *
 * <p>Threads: Java 17 has no virtual threads, and a stream holds its worker thread while it sleeps
 * between words, so the executor is a pool of up to {@link SampleModelSettings#maxThreads()} threads
 * (default 512: ~300 concurrent slow streams plus headroom), created on demand and retired after
 * {@value #IDLE_SECONDS} s idle. Requests beyond that wait in a FIFO queue rather than being dropped
 * (the JDK server has no way to answer a request its executor rejects). The accept backlog is
 * {@value #BACKLOG} so a burst of connections is not refused.
 *
 * <p>Nothing is logged per request; only an unexpected failure (answered with 500) is logged.
 */
public final class SampleModelServer implements AutoCloseable {

    static final int BACKLOG = 1024;
    static final int IDLE_SECONDS = 30;
    static final String HEALTH_PATH = "/health";
    static final String DEBUG_GRPC_PATH = "/debug/grpc";
    /** How often each admin operation reached the model ({@link AdminCounters}). */
    static final String DEBUG_ADMIN_PATH = "/debug/admin";
    /** Largest gRPC request message, the HTTP side's body limit. */
    static final int MAX_GRPC_MESSAGE_BYTES = HttpIo.MAX_REQUEST_BYTES;

    private static final System.Logger LOG = System.getLogger(SampleModelServer.class.getName());

    /** The route's endpoint answers every method itself (and 405 for those it does not serve). */
    private static final String ANY_METHOD = "*";

    private record Route(String method, Endpoint endpoint, boolean authenticated) {
    }

    private final HttpServer server;
    private final ThreadPoolExecutor workers;
    private final byte[] apiKey;
    /** Keys accepted besides {@link #apiKey}, as during a credential rotation; and how often each key was used. */
    private final java.util.List<byte[]> alsoAccepted = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<String, java.util.concurrent.atomic.AtomicInteger> keyUses =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Route> routes;
    private final GrpcCounters grpcCounters = new GrpcCounters();
    private final AdminCounters admin;
    private final ScheduledThreadPoolExecutor grpcTimer;
    private final Server grpcServer;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SampleModelServer(SampleModelSettings settings) throws IOException {
        ServerContext context = new ServerContext(settings);
        SampleFiles files = new SampleFiles();
        this.apiKey = settings.apiKey().getBytes(StandardCharsets.UTF_8);
        ModelRepository repository = new ModelRepository(settings.models());
        Map<String, Route> routes = new java.util.HashMap<>(Map.of(
                ModelsEndpoint.PATH, new Route("GET", new ModelsEndpoint(context), true),
                "/v1/chat/completions", new Route("POST", new ChatCompletionsEndpoint(context), true),
                "/v1/completions", new Route("POST", new CompletionsEndpoint(context), true),
                "/v1/embeddings", new Route("POST", new EmbeddingsEndpoint(context), true),
                FilesEndpoint.PATH, new Route(ANY_METHOD, new FilesEndpoint(files), true),
                BatchesEndpoint.PATH, new Route(ANY_METHOD, new BatchesEndpoint(context, files), true),
                FineTuningEndpoint.PATH, new Route(ANY_METHOD, new FineTuningEndpoint(context, files), true),
                HEALTH_PATH, new Route("GET", exchange -> {
                    exchange.sendResponseHeaders(200, -1);
                }, false),
                DEBUG_GRPC_PATH, new Route("GET", exchange -> {
                    Map<String, Object> json = new LinkedHashMap<>(grpcCounters.toJson());
                    json.put("models", repository.states());
                    HttpIo.sendJson(exchange, 200, json);
                }, true),
                DEBUG_ADMIN_PATH, new Route("GET", exchange -> HttpIo.sendJson(exchange, 200,
                        context.admin().toJson()), true)));
        // The native APIs of the servers Gatehouse fronts, beside the OpenAI-compatible one (as each server
        // serves both): vLLM's LoRA admin, Ollama, llama.cpp server, TGI.
        LoraAdaptersEndpoint lora = new LoraAdaptersEndpoint(context);
        routes.put(LoraAdaptersEndpoint.LOAD, new Route("POST", lora, true));
        routes.put(LoraAdaptersEndpoint.UNLOAD, new Route("POST", lora, true));
        OllamaApi ollama = new OllamaApi(context);
        OllamaApi.PATHS.forEach(path -> routes.put(path, new Route(ANY_METHOD, ollama, true)));
        LlamaCppApi llama = new LlamaCppApi(context);
        LlamaCppApi.PATHS.forEach(path -> routes.put(path, new Route(ANY_METHOD, llama, true)));
        TgiApi tgi = new TgiApi(context);
        TgiApi.PATHS.forEach(path -> routes.put(path, new Route(ANY_METHOD, tgi, true)));
        this.routes = Map.copyOf(routes);
        this.admin = context.admin();
        this.workers = new ThreadPoolExecutor(settings.maxThreads(), settings.maxThreads(),
                IDLE_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), workerThreads());
        this.workers.allowCoreThreadTimeOut(true);
        // Without TCP_NODELAY the JDK server's small writes meet the client's delayed ACK: ~40 ms per
        // answer. The property is read when the server class initialises, so set it before creating one.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        this.server = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), BACKLOG);
        this.server.setExecutor(workers);
        this.server.createContext("/", this::handle);
        this.server.start();
        this.grpcTimer = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "sample-model-grpc-timer");
            thread.setDaemon(true);
            return thread;
        });
        this.grpcTimer.setRemoveOnCancelPolicy(true);
        this.grpcServer = NettyServerBuilder.forAddress(new InetSocketAddress(settings.host(), settings.grpcPort()))
                // Calls are answered on the connection's event loop: nothing here blocks (delays are timer
                // tasks), and gRPC's default executor cost a thread hand-off per call event, a third of the
                // CPU when the benchmark's load ran against this model (bench/run-grpc.sh).
                .directExecutor()
                .maxInboundMessageSize(MAX_GRPC_MESSAGE_BYTES)
                .addService(ServerInterceptors.intercept(new InferenceService(repository, grpcTimer),
                        new GrpcCallWatcher(settings.apiKey(), grpcCounters)))
                .build();
        try {
            this.grpcServer.start();
        } catch (IOException | RuntimeException e) {
            server.stop(0);
            workers.shutdownNow();
            grpcTimer.shutdownNow();
            throw new IOException("cannot listen for gRPC on " + settings.host() + ":" + settings.grpcPort() + ": "
                    + e.getMessage(), e);
        }
    }

    /** Binds and starts a server; it serves until {@link #close()}. */
    public static SampleModelServer start(SampleModelSettings settings) throws IOException {
        return new SampleModelServer(settings);
    }

    /** The bound port (the free port chosen when the settings said 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** The bound gRPC port (the free port chosen when the settings said 0). */
    public int grpcPort() {
        return grpcServer.getPort();
    }

    /** How often each admin operation (Ollama pull, LoRA load, fine-tuning job…) reached this model. */
    public AdminCounters adminCounters() {
        return admin;
    }

    /** What the gRPC side has seen so far (live counters, not a copy). */
    public GrpcCounters grpcCounters() {
        return grpcCounters;
    }

    /** {@code http://host:port}, with 127.0.0.1 in place of a wildcard bind address. */
    public URI baseUri() {
        InetSocketAddress address = server.getAddress();
        String host = address.getAddress().isAnyLocalAddress() ? "127.0.0.1" : address.getAddress().getHostAddress();
        if (address.getAddress() instanceof Inet6Address && !address.getAddress().isAnyLocalAddress()) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + address.getPort());
    }

    /** Stops accepting (HTTP and gRPC), ends open streams and calls, and stops the workers. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.stop(0);
        grpcServer.shutdownNow();
        workers.shutdownNow();
        grpcTimer.shutdownNow();
        try {
            grpcServer.awaitTermination(5, TimeUnit.SECONDS);
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            try {
                dispatch(exchange);
            } catch (ApiException e) {
                if (exchange.getResponseCode() == -1) {
                    HttpIo.sendError(exchange, e);
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "sample model failed on " + exchange.getRequestMethod() + " "
                        + exchange.getRequestURI().getPath(), e);
                if (exchange.getResponseCode() == -1) {
                    HttpIo.sendError(exchange, new ApiException(500, "server_error", "internal_error", null,
                            "The sample model failed: " + e));
                }
            }
        } catch (IOException e) {
            // The client went away (or the server is stopping) in the middle of the exchange: nothing to answer.
        }
    }

    private void dispatch(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        Route route = routes.get(path);
        if (route == null && path.startsWith(ModelsEndpoint.PATH + "/") && path.length() > ModelsEndpoint.PATH.length() + 1) {
            route = routes.get(ModelsEndpoint.PATH);
        }
        for (String parent : new String[] {FilesEndpoint.PATH, BatchesEndpoint.PATH, FineTuningEndpoint.PATH}) {
            if (route == null && path.startsWith(parent + "/")) {
                route = routes.get(parent);
            }
        }
        if (route == null || route.authenticated()) {
            authorize(exchange); // unknown paths too: nothing is revealed without the key
        }
        if (route == null) {
            throw new ApiException(404, ApiException.INVALID_REQUEST, "unknown_url", null,
                    "Invalid URL (" + method + " " + path + ")");
        }
        if (!route.method().equals(ANY_METHOD) && !route.method().equals(method)) {
            exchange.getResponseHeaders().set("Allow", route.method());
            throw new ApiException(405, ApiException.INVALID_REQUEST, "method_not_allowed", null,
                    "Method " + method + " is not allowed on " + path + "; use " + route.method() + ".");
        }
        route.endpoint().handle(exchange);
    }

    private void authorize(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || header.isBlank()) {
            throw new ApiException(401, ApiException.INVALID_REQUEST, "invalid_api_key", null,
                    "You didn't provide an API key. You need to provide your API key in an Authorization header "
                            + "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
        }
        String[] parts = header.strip().split(" +", 2);
        boolean bearer = parts.length == 2 && parts[0].equalsIgnoreCase("Bearer");
        byte[] presented = bearer ? parts[1].getBytes(StandardCharsets.UTF_8) : new byte[0];
        boolean known = MessageDigest.isEqual(presented, apiKey);
        for (byte[] other : alsoAccepted) {
            known |= MessageDigest.isEqual(presented, other);
        }
        if (!known || !bearer) {
            throw new ApiException(401, ApiException.INVALID_REQUEST, "invalid_api_key", null,
                    "Incorrect API key provided.");
        }
        keyUses.computeIfAbsent(new String(presented, StandardCharsets.UTF_8),
                k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
    }

    /**
     * Accepts {@code key} too (HTTP side), as a model server does while its credential is rotated: the old and the
     * new key both work until the old one is retired.
     */
    public void alsoAccept(String key) {
        alsoAccepted.add(key.getBytes(StandardCharsets.UTF_8));
    }

    /** How many authenticated HTTP calls presented {@code key}. */
    public int keyUses(String key) {
        java.util.concurrent.atomic.AtomicInteger n = keyUses.get(key);
        return n == null ? 0 : n.get();
    }

    private static ThreadFactory workerThreads() {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, "sample-model-worker-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
