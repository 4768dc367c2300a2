package io.gatehouse.it.hardening;

import static io.gatehouse.it.support.TempDirs.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.cli.dev.DevIssuer;
import io.gatehouse.cli.dev.DevKeys;
import io.gatehouse.cli.dev.DevTokens;
import io.gatehouse.gateway.route.GatewayRuntime;
import io.gatehouse.it.hardening.FaultyGrpcModel.Fault;
import io.gatehouse.it.support.Closer;
import io.gatehouse.it.support.TempDirs;
import io.gatehouse.it.support.TestAgent;
import io.gatehouse.it.support.TestConfig;
import io.gatehouse.kserve.grpc.GRPCInferenceServiceGrpc;
import io.gatehouse.kserve.grpc.InferTensorContents;
import io.gatehouse.kserve.grpc.ModelInferRequest;
import io.gatehouse.kserve.grpc.ModelInferResponse;
import io.gatehouse.kserve.grpc.ModelStreamInferResponse;
import io.gatehouse.store.Store;
import io.gatehouse.store.StoreSettings;
import io.gatehouse.store.audit.AuditVerifier;
import io.gatehouse.store.audit.TrustedKeys;
import io.gatehouse.store.audit.VerifyReport;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Upstream faults on the gRPC path (gRPC client → gateway gRPC listener with recording and auth → agent →
 * a KServe v2 / Triton gRPC model, {@link FaultyGrpcModel}) as {@link UpstreamFaultsIT} does for HTTP:
 * about 10 % of the calls meet a fault (UNAVAILABLE, INTERNAL, DATA_LOSS, no answer past the agent's
 * {@code responseTimeout}, a stream cut after its first piece, bursts of INTERNAL). Every call the client
 * makes ends either OK with the whole answer (the model's end marker; a stream with all its pieces) or
 * with an error status — never an OK short of the answer; the agent's circuit breaker for the gRPC service
 * opens during the bursts and those calls get UNAVAILABLE with a {@code retry-after} trailer without
 * reaching the model (no call it refused reached the model; a call that did not reach it was refused by the
 * open circuit or timed out in the gateway on a loaded machine); every
 * call has its start and end record and the chain verifies; an unrelated call keeps being answered.
 *
 * <p>Size: {@code -Dgatehouse.grpcfaults.requests} (default 1,000); {@code -Dgatehouse.faults.seed}.
 */
class GrpcUpstreamFaultsIT {

    private static final String AUDIENCE = "gatehouse";
    private static final String KEY_VARIABLE = "GATEHOUSE_IT_GRPC_FAULTS_KEY";
    private static final int REQUESTS = Integer.getInteger("gatehouse.grpcfaults.requests", 1_000);
    private static final int CLIENTS = 16;
    private static final String MODEL = "faulty";
    private static final Metadata.Key<String> REQUEST_ID = key("gatehouse-request-id");
    private static final Metadata.Key<String> RETRY_AFTER = key("retry-after");

    /** How one call ended, as the client saw it. */
    enum Outcome {
        /** OK with the whole answer. */
        COMPLETE,
        /** An error status before or after some pieces (the client knows the answer is not whole). */
        ERROR_STATUS,
        /** UNAVAILABLE from the agent's open circuit, with retry-after, the model not called. */
        CIRCUIT_OPEN,
        /** OK short of the whole answer. */
        FAKE_SUCCESS,
        /** A status the faults do not explain (auth, argument…), or no request id. */
        UNEXPLAINED
    }

    record Seen(int n, boolean stream, Status.Code code, String description, String requestId, String retryAfter,
                String text, int pieces) {
    }

    private static Metadata.Key<String> key(String name) {
        return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    }

    @Test
    void tenPercentOfGrpcUpstreamFaultsGiveNoFakeSuccessLoseNoRecordAndTheCircuitKeepsCallsFromTheFailingModel()
            throws Exception {
        Path root = Files.createTempDirectory("gatehouse-it-grpc-faults-");
        long seed = Long.getLong("gatehouse.faults.seed", System.nanoTime());
        Closer started = new Closer();
        ManagedChannel channel = null;
        try {
            FaultyGrpcModel model = started.add(new FaultyGrpcModel(seed));
            Path data = root.resolve("data");
            AgentServer agent = started.add(TestAgent.start(root.resolve("agent/agent.yaml"), data,
                    Map.of("faulty-grpc", model.uri()), KEY_VARIABLE, TestAgent.randomKey(),
                    "    responseTimeout: 1500ms\n    circuitBreaker:\n      openDuration: 1s\n"));
            RSAKey devKey = DevKeys.loadOrCreate(data);
            DevIssuer issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));
            Path config = root.resolve("config");
            write(config.resolve("gateway.yaml"), "listeners:\n  grpc:\n    protocol: grpc\n    host: 127.0.0.1\n"
                    + "    port: 0\n"
                    + "admin:\n  host: 127.0.0.1\n  port: 0\n  auth:\n    providers: [dev]\n"
                    + "agents:\n  local:\n    address: 127.0.0.1:" + agent.port() + "\n"
                    + "identity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer() + "\n"
                    + "      audiences: [" + AUDIENCE + "]\n"
                    + "dataDirectory: " + data + "\n");
            write(config.resolve("endpoints/kserve-grpc.yaml"), "id: kserve-grpc\nlistener: grpc\nmodels: [" + MODEL
                    + "]\nprotocol: kserve-v2\ntarget:\n  agent: local\n  service: faulty-grpc\npipeline:\n"
                    + "  - recording: {}\n  - limits:\n      requestTimeout: 4s\n  - auth:\n      providers: [dev]\n");
            GatewayRuntime gateway = TestConfig.startGateway(config);
            String token = DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, "alice", List.of("analysts"),
                    Duration.ofHours(1), Instant.now());
            channel = NettyChannelBuilder.forAddress("127.0.0.1", gateway.port("grpc")).usePlaintext().build();
            ManagedChannel probeChannel = NettyChannelBuilder.forAddress("127.0.0.1", gateway.port("grpc"))
                    .usePlaintext().build();

            ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
            List<String> probeFailures = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger probes = new AtomicInteger();
            AtomicBoolean loadDone = new AtomicBoolean();
            Thread prober = new Thread(() -> probe(probeChannel, loadDone, probes, probeFailures), "grpc-faults-probe");
            prober.start();

            long t0 = System.nanoTime();
            AtomicInteger next = new AtomicInteger();
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            CallCredentials bearer = bearer(token);
            ManagedChannel calls = channel;
            for (int c = 0; c < CLIENTS; c++) {
                clients.execute(() -> {
                    for (int n; (n = next.getAndIncrement()) < REQUESTS; ) {
                        seen.add(n % 3 == 0 ? stream(calls, bearer, n) : unary(calls, bearer, n));
                    }
                });
            }
            clients.shutdown();
            assertThat(clients.awaitTermination(15, TimeUnit.MINUTES)).as("the load finished").isTrue();
            long loadMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            loadDone.set(true);
            prober.join();
            probeChannel.shutdownNow();
            gateway.close(); // the last records written, the chain sealed, the embedded store released

            Map<Integer, Fault> served = model.served();
            Map<Outcome, Integer> outcomes = new EnumMap<>(Outcome.class);
            Map<String, Map<String, Integer>> byFault = new TreeMap<>();
            List<String> violations = new ArrayList<>();
            for (Seen s : seen) {
                Fault fault = served.get(s.n());
                Outcome outcome = judge(s);
                outcomes.merge(outcome, 1, Integer::sum);
                byFault.computeIfAbsent(fault == null ? "(never reached the model)" : fault.name(),
                        f -> new TreeMap<>()).merge(outcome + (s.code() == Status.Code.OK ? "" : " " + s.code()), 1,
                        Integer::sum);
                if (outcome == Outcome.FAKE_SUCCESS || outcome == Outcome.UNEXPLAINED) {
                    violations.add(outcome + " for call " + s.n() + " (model: " + fault + "): " + s);
                }
                if (outcome == Outcome.CIRCUIT_OPEN && fault != null) {
                    violations.add("call " + s.n() + " was refused by the open circuit but reached the model");
                }
                if (fault == null && outcome != Outcome.CIRCUIT_OPEN && s.code() != Status.Code.DEADLINE_EXCEEDED) {
                    // besides the open circuit, only the gateway's requestTimeout (a loaded machine) keeps a call
                    // from the model
                    violations.add("call " + s.n() + " never reached the model, yet was not refused by the open"
                            + " circuit nor timed out: " + s);
                }
            }
            int circuitOpen = outcomes.getOrDefault(Outcome.CIRCUIT_OPEN, 0);

            Set<String> starts = new HashSet<>();
            Set<String> ends = new HashSet<>();
            VerifyReport verified;
            try (Store store = Store.open(StoreSettings.embedded(data)); Connection c = store.connection()) {
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT record_id, event_type FROM audit_event WHERE endpoint_id = 'kserve-grpc'");
                     ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        (rs.getString(2).equals("start") ? starts : rs.getString(2).equals("end") ? ends
                                : new HashSet<String>()).add(rs.getString(1));
                    }
                }
                verified = AuditVerifier.verify(c, TrustedKeys.none().pin(data.resolve("audit/audit-key.pub.pem"))
                        .withStoreKeys(c));
            }
            List<String> lost = new ArrayList<>();
            for (Seen s : seen) {
                if (s.requestId() == null) {
                    lost.add("call " + s.n() + " got no request id: " + s);
                } else if (!starts.contains(s.requestId()) || !ends.contains(s.requestId())) {
                    lost.add("call " + s.n() + " (" + s.requestId() + ") start " + starts.contains(s.requestId())
                            + ", end " + ends.contains(s.requestId()));
                }
            }
            long faulted = served.values().stream().filter(f -> f != Fault.NONE).count();

            StringBuilder report = new StringBuilder()
                    .append("Seed ").append(seed).append("; ").append(REQUESTS).append(" gRPC calls (a third")
                    .append(" ModelStreamInfer) by ").append(CLIENTS).append(" clients in ").append(loadMillis)
                    .append(" ms; the model received ").append(model.received()).append(" and served a fault to ")
                    .append(faulted).append(" of them (bursts included); ").append(circuitOpen)
                    .append(" answered UNAVAILABLE circuit-open without reaching it.\n\n")
                    .append("| model did | client got |\n|---|---|\n");
            byFault.forEach((fault, o) -> report.append("| ").append(fault).append(" | ")
                    .append(o.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                            .collect(Collectors.joining(", "))).append(" |\n"));
            report.append("\n| check | result |\n|---|---|\n")
                    .append("| fake successes (OK short of the whole answer) | ")
                    .append(outcomes.getOrDefault(Outcome.FAKE_SUCCESS, 0)).append(" |\n")
                    .append("| unexplained answers | ").append(outcomes.getOrDefault(Outcome.UNEXPLAINED, 0))
                    .append(" |\n")
                    .append("| received by the model + refused by the open circuit | ")
                    .append(model.received() + circuitOpen).append(" of ").append(REQUESTS).append(" |\n")
                    .append("| records lost (no start or no end) | ").append(lost.size()).append(" of ")
                    .append(seen.size()).append(" |\n")
                    .append("| audit chain verifies | ").append(verified.ok()).append(" |\n")
                    .append("| unrelated call beside the load (UNAUTHENTICATED without a token) | ")
                    .append(probes.get()).append(" answered, ").append(probeFailures.size()).append(" failed |\n");
            FaultsReport.section("Upstream faults, gRPC", report.toString());
            System.out.println(report);

            assertThat(seen).hasSize(REQUESTS);
            assertThat(violations).as("fake successes, unexplained answers (seed %d)", seed).isEmpty();
            assertThat(lost).as("records lost (seed %d)", seed).isEmpty();
            assertThat(ends).as("every recorded start (the load's and the probes') has its end").isEqualTo(starts);
            assertThat(verified.ok()).as(verified.describe()).isTrue();
            assertThat(probeFailures).as("unrelated calls beside the load").isEmpty();
            assertThat(probes.get()).as("unrelated calls were made during the load").isPositive();
            assertThat(circuitOpen).as("calls refused by the open circuit during the bursts").isPositive();
            assertThat(model.received() + circuitOpen).as("calls the model received + calls the open circuit refused")
                    .isLessThanOrEqualTo(REQUESTS);
            assertThat(outcomes.getOrDefault(Outcome.COMPLETE, 0)).as("calls answered whole").isPositive();
        } finally {
            if (channel != null) {
                channel.shutdownNow();
            }
            started.close();
            TempDirs.deleteTreeQuietly(root);
        }
    }

    private static ModelInferRequest request(int n) {
        return ModelInferRequest.newBuilder().setModelName(MODEL).setId("n-" + n)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("text").setDatatype("BYTES")
                        .addShape(1).setContents(InferTensorContents.newBuilder()
                                .addBytesContents(com.google.protobuf.ByteString.copyFromUtf8("fault test " + n))))
                .build();
    }

    private static String text(ModelInferResponse response) {
        return response.getOutputsCount() == 0 || !response.getOutputs(0).hasContents()
                || response.getOutputs(0).getContents().getBytesContentsCount() == 0 ? ""
                : response.getOutputs(0).getContents().getBytesContents(0).toStringUtf8();
    }

    private static Seen unary(ManagedChannel channel, CallCredentials bearer, int n) {
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        try {
            ModelInferResponse response = GRPCInferenceServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer)
                    .withDeadlineAfter(30, TimeUnit.SECONDS)
                    .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
                    .modelInfer(request(n));
            return new Seen(n, false, Status.Code.OK, null, id(headers.get(), trailers.get()), null, text(response), 1);
        } catch (StatusRuntimeException e) {
            Metadata t = e.getTrailers() != null ? e.getTrailers() : trailers.get();
            return new Seen(n, false, e.getStatus().getCode(), e.getStatus().getDescription(), id(headers.get(), t),
                    t == null ? null : t.get(RETRY_AFTER), "", 0);
        }
    }

    private static Seen stream(ManagedChannel channel, CallCredentials bearer, int n) {
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        StringBuilder text = new StringBuilder();
        AtomicInteger pieces = new AtomicInteger();
        AtomicReference<Status> ended = new AtomicReference<>();
        AtomicBoolean errorMessage = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        StreamObserver<ModelInferRequest> requests = GRPCInferenceServiceGrpc.newStub(channel)
                .withCallCredentials(bearer).withDeadlineAfter(30, TimeUnit.SECONDS)
                .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
                .modelStreamInfer(new StreamObserver<>() {
                    @Override
                    public void onNext(ModelStreamInferResponse value) {
                        synchronized (text) {
                            if (!value.getErrorMessage().isEmpty()) {
                                errorMessage.set(true);
                            }
                            text.append(text(value.getInferResponse()));
                            pieces.incrementAndGet();
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        ended.set(Status.fromThrowable(t));
                        done.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        ended.set(Status.OK);
                        done.countDown();
                    }
                });
        requests.onNext(request(n));
        requests.onCompleted();
        try {
            if (!done.await(60, TimeUnit.SECONDS)) {
                return new Seen(n, true, Status.Code.UNKNOWN, "no end within 60 s", null, null, "", 0);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Seen(n, true, Status.Code.UNKNOWN, "interrupted", null, null, "", 0);
        }
        Status status = ended.get();
        Status.Code code = status.getCode() == Status.Code.OK && errorMessage.get() ? Status.Code.ABORTED
                : status.getCode();
        Metadata t = trailers.get();
        synchronized (text) {
            return new Seen(n, true, code, status.getDescription(), id(headers.get(), t),
                    t == null ? null : t.get(RETRY_AFTER), text.toString(), pieces.get());
        }
    }

    private static String id(Metadata headers, Metadata trailers) {
        String id = headers == null ? null : headers.get(REQUEST_ID);
        return id != null ? id : trailers == null ? null : trailers.get(REQUEST_ID);
    }

    static Outcome judge(Seen s) {
        if (s.requestId() == null) {
            return Outcome.UNEXPLAINED;
        }
        if (s.code() == Status.Code.OK) {
            boolean whole = s.text().endsWith("END-" + s.n()) && (!s.stream() || s.pieces() == FaultyGrpcModel.PIECES);
            return whole ? Outcome.COMPLETE : Outcome.FAKE_SUCCESS;
        }
        String description = s.description() == null ? "" : s.description();
        if (s.code() == Status.Code.UNAVAILABLE && description.contains("circuit open")) {
            return s.retryAfter() != null ? Outcome.CIRCUIT_OPEN : Outcome.UNEXPLAINED;
        }
        return switch (s.code()) {
            case UNAVAILABLE, INTERNAL, DATA_LOSS, DEADLINE_EXCEEDED, UNKNOWN, ABORTED -> Outcome.ERROR_STATUS;
            default -> Outcome.UNEXPLAINED;
        };
    }

    private static void probe(ManagedChannel channel, AtomicBoolean done, AtomicInteger answered,
                              List<String> failures) {
        while (!done.get()) {
            try {
                GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .modelInfer(request(-1));
                failures.add("a call without a token was answered OK");
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.UNAUTHENTICATED) {
                    answered.incrementAndGet();
                } else {
                    failures.add(e.getStatus().toString());
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static CallCredentials bearer(String token) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, java.util.concurrent.Executor executor,
                                             MetadataApplier applier) {
                Metadata headers = new Metadata();
                headers.put(key("authorization"), "Bearer " + token);
                applier.apply(headers);
            }
        };
    }
}
