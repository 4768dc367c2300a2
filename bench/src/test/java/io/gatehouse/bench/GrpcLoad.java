package io.gatehouse.bench;

import com.google.protobuf.ByteString;
import io.gatehouse.kserve.grpc.GRPCInferenceServiceGrpc;
import io.gatehouse.kserve.grpc.InferTensorContents;
import io.gatehouse.kserve.grpc.ModelInferRequest;
import io.gatehouse.kserve.grpc.ModelInferResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * gRPC unary {@code ModelInfer} load, on loopback, against the sample model directly and through the gateway
 * ({@link GrpcBenchStack}: model, agent and gateway in this JVM). The same request each time: demo-small, one
 * BYTES input of shape [1] ("hello"), id set. Each target gets a warm-up (not reported) straight followed by a
 * measured window, first with several callers, then with one (c=1: nothing queues, so its p50 shows what the
 * hops add). A caller keeps exactly one async call in flight and starts the next one from the answer's callback;
 * callers share a few channels. Latency is from the call's start to its completion, for calls that complete
 * inside the window; req/s counts those that completed with a good answer.
 *
 * <p>Direct calls carry the model key as bearer; gateway calls a dev-issuer token of group ml-engineers, whose
 * demo policy allows {@code infer} on demo-small but limits each identity to 600 requests a minute. So the
 * gateway calls rotate over {@code --users} identities (one token each, issued up front): with the default
 * 1,000 that limit never answers, and every token has been verified once during the warm-up, so the measured
 * window sees the verified-token cache hit, as a steady client would.
 *
 * <p>Run by {@code bench/run-grpc.sh}; options: {@code --warmup S --duration S --callers N --channels N
 * --idle-warmup S --idle S --users N --policies DIR --pipeline demo|lean --settle-step S --settle-share PCT
 * --settle-max S}; before measuring it loads until the JIT has settled (see {@code settle}). Prints a table and the gateway/direct ratios; asserts
 * nothing about timings.
 */
public final class GrpcLoad {

    static final String REQUEST_ID = "bench-1";
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private GrpcLoad() {
    }

    record Options(int warmupSeconds, int durationSeconds, int callers, int channels, int idleWarmupSeconds,
                   int idleSeconds, int users, Path policies, String pipeline, int settleStepSeconds,
                   double settleShare, int settleMaxSeconds) {

        static Options parse(String[] args) {
            Map<String, String> given = new TreeMap<>();
            for (int i = 0; i < args.length; i += 2) {
                if (!args[i].startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException("options are --name value pairs, got: " + String.join(" ", args));
                }
                given.put(args[i].substring(2), args[i + 1]);
            }
            Options o = new Options(intOf(given, "warmup", 10), intOf(given, "duration", 20), intOf(given, "callers", 16),
                    intOf(given, "channels", 2), intOf(given, "idle-warmup", 3), intOf(given, "idle", 5),
                    intOf(given, "users", 1000), Path.of(given.getOrDefault("policies", "config/examples/demo/policies")),
                    given.getOrDefault("pipeline", "demo"), intOf(given, "settle-step", 10),
                    Double.parseDouble(given.getOrDefault("settle-share", "2")), intOf(given, "settle-max", 300));
            given.keySet().removeAll(List.of("warmup", "duration", "callers", "channels", "idle-warmup", "idle", "users",
                    "policies", "pipeline", "settle-step", "settle-share", "settle-max"));
            if (!GrpcBenchStack.PIPELINES.containsKey(o.pipeline())) {
                throw new IllegalArgumentException("--pipeline is one of " + GrpcBenchStack.PIPELINES.keySet());
            }
            if (!given.isEmpty()) {
                throw new IllegalArgumentException("unknown options: " + given.keySet());
            }
            return o;
        }

        private static int intOf(Map<String, String> given, String name, int otherwise) {
            String v = given.get(name);
            int n = v == null ? otherwise : Integer.parseInt(v);
            if (n < 1) {
                throw new IllegalArgumentException("--" + name + " must be at least 1, got " + n);
            }
            return n;
        }
    }

    /** One place to call: a port and the authorization values to rotate over (one per identity). */
    record Target(String name, int port, List<String> authorizations) {
    }

    record Result(String label, Target target, int callers, int channels, double seconds, long ok, long badAnswers,
                  Map<String, Long> errors, long[] sortedNanos) {

        double requestsPerSecond() {
            return ok / seconds;
        }

        double percentileMillis(double p) {
            if (sortedNanos.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.ceil(p / 100.0 * sortedNanos.length) - 1;
            return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, i))] / 1e6;
        }

        long errorCount() {
            return errors.values().stream().mapToLong(Long::longValue).sum() + badAnswers;
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        System.out.printf("== gRPC ModelInfer load, %s; %d cores; load: %d callers over %d channels, %d s warm-up +"
                        + " %d s measured; c=1: %d s + %d s; %d gateway identities%n",
                LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME.withLocale(Locale.ROOT)).substring(0, 19),
                Runtime.getRuntime().availableProcessors(), o.callers(), o.channels(), o.warmupSeconds(),
                o.durationSeconds(), o.idleWarmupSeconds(), o.idleSeconds(), o.users());
        ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "grpc-load-retry");
            t.setDaemon(true);
            return t;
        });
        int exit = 0;
        long t0 = System.nanoTime();
        try (GrpcBenchStack stack = GrpcBenchStack.start(o.policies(), o.pipeline())) {
            System.out.printf("== stack up in %.1f s: model gRPC 127.0.0.1:%d, gateway gRPC 127.0.0.1:%d; pipeline %s%n",
                    (System.nanoTime() - t0) / 1e9, stack.modelPort(), stack.gatewayPort(),
                    GrpcBenchStack.PIPELINES.get(o.pipeline()));
            List<String> tokens = new ArrayList<>(o.users());
            for (int i = 0; i < o.users(); i++) {
                tokens.add("Bearer " + stack.token("bench-" + i, "ml-engineers"));
            }
            Target direct = new Target("direct", stack.modelPort(), List.of("Bearer " + stack.modelKey()));
            Target gateway = new Target("gateway", stack.gatewayPort(), tokens);
            ModelInferRequest request = request();
            check(direct, request);
            check(gateway, request);

            settle(o, gateway, direct, request, retries);
            List<Result> results = new ArrayList<>();
            long modelCallsBefore = stack.modelInferCalls();
            results.add(run("load", direct, request, o.callers(), o.channels(), o.warmupSeconds(), o.durationSeconds(),
                    retries));
            long modelCallsDirect = stack.modelInferCalls() - modelCallsBefore;
            results.add(run("load", gateway, request, o.callers(), o.channels(), o.warmupSeconds(), o.durationSeconds(),
                    retries));
            long modelCallsGateway = stack.modelInferCalls() - modelCallsBefore - modelCallsDirect;
            results.add(run("c=1", direct, request, 1, 1, o.idleWarmupSeconds(), o.idleSeconds(), retries));
            results.add(run("c=1", gateway, request, 1, 1, o.idleWarmupSeconds(), o.idleSeconds(), retries));
            report(results);
            System.out.printf("model ModelInfer calls during the load runs (warm-up included): direct %,d, gateway %,d%n",
                    modelCallsDirect, modelCallsGateway);
            if (results.stream().anyMatch(r -> r.errorCount() > 0)) {
                exit = 2;
            }
        } catch (Exception | Error e) {
            e.printStackTrace();
            exit = 1;
        }
        // gRPC, Camel and H2 leave non-daemon threads behind after close
        System.exit(exit);
    }

    static ModelInferRequest request() {
        return ModelInferRequest.newBuilder().setModelName("demo-small").setId(REQUEST_ID)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("text").setDatatype("BYTES").addShape(1)
                        .setContents(InferTensorContents.newBuilder().addBytesContents(ByteString.copyFromUtf8("hello"))))
                .build();
    }

    static boolean good(ModelInferResponse answer) {
        return answer != null && REQUEST_ID.equals(answer.getId()) && answer.getOutputsCount() > 0;
    }

    /** One blocking call before any load: the target answers, and answers what the load counts as good. */
    private static void check(Target target, ModelInferRequest request) throws InterruptedException {
        ManagedChannel channel = channel(target.port());
        try {
            ModelInferResponse answer = GRPCInferenceServiceGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(authorization(target.authorizations().get(0))))
                    .withDeadlineAfter(30, TimeUnit.SECONDS).modelInfer(request);
            if (!good(answer)) {
                throw new IllegalStateException(target.name() + " answered something unexpected: " + answer);
            }
            System.out.printf("check %s: ModelInfer OK, outputs %s%n", target.name(),
                    answer.getOutputsList().stream().map(ModelInferResponse.InferOutputTensor::getName).toList());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * Loads the gateway, then the direct path, in rounds of {@code --settle-step} seconds until the JIT has settled:
     * until the compiler's time grew by less than {@code --settle-share} % of a round's wall time. Everything runs
     * in this one JVM, so the JIT's own counter says when it is done; a 10 s warm-up alone left C2 at a third of
     * the CPU in the measured window (async-profiler, 2026-12-06) and measured the compiler, not the gateway.
     * Gives up after {@code --settle-max} seconds and says so; {@code --settle-max 0} skips the step.
     */
    private static void settle(Options o, Target gateway, Target direct, ModelInferRequest request,
                               ScheduledExecutorService retries) throws InterruptedException {
        if (o.settleMaxSeconds() <= 0) {
            return;
        }
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        long began = System.nanoTime();
        int rounds = 0;
        while (true) {
            long jitBefore = jit.getTotalCompilationTime();
            long wallBefore = System.nanoTime();
            Target target = rounds % 2 == 0 ? gateway : direct;
            run("settle", target, request, o.callers(), o.channels(), 0, o.settleStepSeconds(), retries);
            rounds++;
            double share = 100.0 * (jit.getTotalCompilationTime() - jitBefore)
                    / TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - wallBefore);
            long spent = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began);
            if (rounds >= 2 && share < o.settleShare()) {
                System.out.printf("== JIT settled after %d s of load (%d rounds; compiler %.1f %% of the last round)%n",
                        spent, rounds, share);
                return;
            }
            if (spent >= o.settleMaxSeconds()) {
                System.out.printf("== JIT not settled after %d s (compiler %.1f %% of the last round): measuring anyway%n",
                        spent, share);
                return;
            }
        }
    }

    private static Result run(String label, Target target, ModelInferRequest request, int callers, int channels,
                              int warmupSeconds, int measuredSeconds, ScheduledExecutorService retries)
            throws InterruptedException {
        List<ManagedChannel> open = new ArrayList<>();
        GRPCInferenceServiceGrpc.GRPCInferenceServiceStub[][] stubs =
                new GRPCInferenceServiceGrpc.GRPCInferenceServiceStub[channels][];
        for (int c = 0; c < channels; c++) {
            ManagedChannel channel = channel(target.port());
            open.add(channel);
            GRPCInferenceServiceGrpc.GRPCInferenceServiceStub base = GRPCInferenceServiceGrpc.newStub(channel);
            stubs[c] = target.authorizations().stream()
                    .map(a -> base.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(authorization(a))))
                    .toArray(GRPCInferenceServiceGrpc.GRPCInferenceServiceStub[]::new);
        }
        long start = System.nanoTime();
        long from = start + TimeUnit.SECONDS.toNanos(warmupSeconds);
        long until = from + TimeUnit.SECONDS.toNanos(measuredSeconds);
        CountDownLatch done = new CountDownLatch(callers);
        List<Caller> all = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            all.add(new Caller(i, callers, stubs[i % channels], request, from, until, done, retries));
        }
        all.forEach(Caller::next);
        boolean finished = done.await(until - System.nanoTime() + TimeUnit.SECONDS.toNanos(60), TimeUnit.NANOSECONDS);
        for (ManagedChannel channel : open) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (!finished) {
            System.out.printf("%s %s: %d of %d callers still had a call in flight 60 s after the window%n", label,
                    target.name(), done.getCount(), callers);
        }
        long ok = 0;
        long bad = 0;
        Map<String, Long> errors = new TreeMap<>();
        int samples = 0;
        for (Caller c : all) {
            ok += c.count;
            bad += c.badAnswers;
            c.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
            samples += c.count;
        }
        long[] nanos = new long[samples];
        int at = 0;
        for (Caller c : all) {
            System.arraycopy(c.nanos, 0, nanos, at, c.count);
            at += c.count;
        }
        Arrays.sort(nanos);
        Result r = new Result(label, target, callers, channels, measuredSeconds, ok, bad, errors, nanos);
        System.out.printf("%s %s: %,.0f req/s, p50 %.3f ms, p99 %.3f ms, errors %d%s%n", label, target.name(),
                r.requestsPerSecond(), r.percentileMillis(50), r.percentileMillis(99), r.errorCount(),
                errors.isEmpty() ? "" : " " + errors);
        return r;
    }

    private static void report(List<Result> results) {
        System.out.println();
        System.out.println("| run | target | callers | req/s | p50 ms | p90 ms | p99 ms | errors | req/s ÷ direct"
                + " | p50 ÷ direct | p99 ÷ direct |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Map<String, Result> directs = new TreeMap<>();
        for (Result r : results) {
            if (r.target().name().equals("direct")) {
                directs.put(r.label(), r);
            }
        }
        for (Result r : results) {
            Result d = directs.get(r.label());
            System.out.printf(Locale.ROOT, "| %s | %s | %d | %,.0f | %.3f | %.3f | %.3f | %d | %s | %s | %s |%n",
                    r.label(), r.target().name(), r.callers(), r.requestsPerSecond(), r.percentileMillis(50),
                    r.percentileMillis(90), r.percentileMillis(99), r.errorCount(),
                    ratio(r.requestsPerSecond(), d.requestsPerSecond()),
                    ratio(r.percentileMillis(50), d.percentileMillis(50)),
                    ratio(r.percentileMillis(99), d.percentileMillis(99)));
        }
        Result load = results.get(1);
        Result loadDirect = directs.get(load.label());
        Result idle = results.get(3);
        Result idleDirect = directs.get(idle.label());
        System.out.println();
        System.out.printf(Locale.ROOT, "gateway %,.0f req/s vs direct %,.0f (ratio %s); p50 %.2f ms vs %.2f ms,"
                        + " p99 %.2f ms vs %.2f ms; c=1 p50 %.3f ms vs %.3f ms (%s)%n",
                load.requestsPerSecond(), loadDirect.requestsPerSecond(),
                ratio(load.requestsPerSecond(), loadDirect.requestsPerSecond()),
                load.percentileMillis(50), loadDirect.percentileMillis(50),
                load.percentileMillis(99), loadDirect.percentileMillis(99),
                idle.percentileMillis(50), idleDirect.percentileMillis(50),
                ratio(idle.percentileMillis(50), idleDirect.percentileMillis(50)));
    }

    private static String ratio(double a, double b) {
        if (b == 0 || Double.isNaN(a) || Double.isNaN(b)) {
            return "n/a";
        }
        double r = a / b;
        return r >= 10 ? String.format(Locale.ROOT, "%.0f", r)
                : r >= 0.1 ? String.format(Locale.ROOT, "%.2f", r) : String.format(Locale.ROOT, "%.3f", r);
    }

    private static ManagedChannel channel(int port) {
        // Callbacks on the transport's threads: the client hands nothing off, so it takes as little CPU as it can
        // from the servers it measures (the same for both targets).
        return Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create())
                .directExecutor().build();
    }

    private static Metadata authorization(String value) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, value);
        return headers;
    }

    /** One call in flight at a time; the next starts from the previous one's completion callback. */
    private static final class Caller implements StreamObserver<ModelInferResponse> {

        private final int step;
        private final GRPCInferenceServiceGrpc.GRPCInferenceServiceStub[] stubs;
        private final ModelInferRequest request;
        private final long from;
        private final long until;
        private final CountDownLatch done;
        private final ScheduledExecutorService retries;
        private final Map<String, Long> errors = new TreeMap<>();
        private int stub;
        private long[] nanos = new long[1 << 14];
        private int count;
        private long badAnswers;
        private long started;
        private ModelInferResponse answer;

        Caller(int index, int callers, GRPCInferenceServiceGrpc.GRPCInferenceServiceStub[] stubs,
               ModelInferRequest request, long from, long until, CountDownLatch done,
               ScheduledExecutorService retries) {
            this.step = callers % stubs.length == 0 ? 1 : callers;
            this.stub = index % stubs.length;
            this.stubs = stubs;
            this.request = request;
            this.from = from;
            this.until = until;
            this.done = done;
            this.retries = retries;
        }

        void next() {
            long now = System.nanoTime();
            if (now - until >= 0) {
                done.countDown();
                return;
            }
            started = now;
            answer = null;
            GRPCInferenceServiceGrpc.GRPCInferenceServiceStub s = stubs[stub];
            stub = (stub + step) % stubs.length;
            try {
                s.modelInfer(request, this);
            } catch (RuntimeException e) {
                onError(e);
            }
        }

        @Override
        public void onNext(ModelInferResponse value) {
            answer = value;
        }

        @Override
        public void onCompleted() {
            long end = System.nanoTime();
            if (end - from >= 0 && end - until < 0) {
                if (good(answer)) {
                    if (count == nanos.length) {
                        nanos = Arrays.copyOf(nanos, count * 2);
                    }
                    nanos[count++] = end - started;
                } else {
                    badAnswers++;
                }
            }
            next();
        }

        @Override
        public void onError(Throwable t) {
            long end = System.nanoTime();
            if (end - from >= 0 && end - until < 0) {
                errors.merge(Status.fromThrowable(t).getCode().name(), 1L, Long::sum);
            }
            // off this thread (an error can be reported inside the call that starts it), and not in a tight loop
            retries.schedule(this::next, 1, TimeUnit.MILLISECONDS);
        }
    }
}
