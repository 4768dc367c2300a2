package io.gatehouse.it.hardening;

import static io.gatehouse.it.support.TempDirs.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.cli.dev.DevIssuer;
import io.gatehouse.cli.dev.DevKeys;
import io.gatehouse.cli.dev.DevTokens;
import io.gatehouse.gateway.route.GatewayRuntime;
import io.gatehouse.it.hardening.RawHttp2Connection.Frame;
import io.gatehouse.it.support.Closer;
import io.gatehouse.it.support.TempDirs;
import io.gatehouse.it.support.TestAgent;
import io.gatehouse.it.support.TestConfig;
import io.gatehouse.kserve.grpc.GRPCInferenceServiceGrpc;
import io.gatehouse.kserve.grpc.ServerLiveRequest;
import io.gatehouse.samplemodel.SampleModelServer;
import io.gatehouse.samplemodel.SampleModelSettings;
import io.grpc.CallCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 abuse against the gRPC listener, sent as raw frames on a plain socket ({@link RawHttp2Connection}):
 * rapid reset (CVE-2023-44487), more concurrent streams than allowed, metadata over the cap spread over
 * CONTINUATION frames, a CONTINUATION flood, a flow-control window overflow, a flood of WINDOW_UPDATEs
 * and a ping flood. Each case checks what the abusive connection gets, and that an unrelated grpc-java
 * client is still served ({@code ServerLive} through the pipeline and the agent to the model).
 * The listener's limits: {@code http2: {maxConcurrentStreams: 10, maxResetStreams: 50}}, metadata 8KiB.
 */
class Http2AbuseIT {

    private static final String SERVER_LIVE = "/inference.GRPCInferenceService/ServerLive";
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
            Metadata.ASCII_STRING_MARSHALLER);
    private static final List<String> REPORT = new ArrayList<>();

    private static Closer started;
    private static Path root;
    private static GatewayRuntime gateway;
    private static String token;
    private static ManagedChannel unrelated;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createTempDirectory("gatehouse-it-http2-");
        started = new Closer();
        Path data = root.resolve("data");
        String key = TestAgent.randomKey();
        SampleModelServer model = started.add(SampleModelServer.start(SampleModelSettings.loopback(key)
                .withTokenDelay(Duration.ZERO).withGrpcPort(0)));
        AgentServer agent = started.add(TestAgent.start(root.resolve("agent/agent.yaml"), data,
                Map.of("demo-grpc", URI.create("grpc://127.0.0.1:" + model.grpcPort())), "GATEHOUSE_IT_GRPC_KEY", key));
        RSAKey devKey = DevKeys.loadOrCreate(data);
        DevIssuer issuer = started.add(DevIssuer.start("127.0.0.1", 0, devKey, false));
        Path config = root.resolve("config");
        write(config.resolve("gateway.yaml"), "listeners:\n  grpc:\n    protocol: grpc\n    host: 127.0.0.1\n"
                + "    port: 0\n    maxHeaderBytes: 8KiB\n    http2:\n      maxConcurrentStreams: 10\n"
                + "      maxResetStreams: 50\n      resetWindow: 10s\n"
                + "admin:\n  host: 127.0.0.1\n  port: 0\n  auth:\n    providers: [dev]\n"
                + "agents:\n  local:\n    address: 127.0.0.1:" + agent.port() + "\n"
                + "dataDirectory: " + data + "\nidentity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer()
                + "\n      audiences: [gatehouse]\n");
        write(config.resolve("endpoints/kserve-grpc.yaml"), "id: kserve-grpc\nlistener: grpc\n"
                + "models: [demo-small]\nserverCalls: true\nprotocol: kserve-v2\n"
                + "target:\n  agent: local\n  service: demo-grpc\npipeline:\n"
                + "  - recording: {}\n  - auth:\n      providers: [dev]\n");
        gateway = started.add(TestConfig.startGateway(config));
        token = DevTokens.issue(devKey, issuer.issuer(), "gatehouse", "alice", List.of("analysts"),
                Duration.ofHours(1), Instant.now());
        unrelated = Grpc.newChannelBuilderForAddress("127.0.0.1", gateway.port("grpc"),
                InsecureChannelCredentials.create()).build();
    }

    @AfterAll
    static void stop() throws Exception {
        FaultsReport.section("HTTP/2 abuse on the gRPC listener", "Limits: maxConcurrentStreams 10, maxResetStreams "
                + "50 per 10 s, metadata 8 KiB, permitKeepAliveTime 5 min (defaults: 100, 200 per 10 s, the "
                + "listener's maxHeaderBytes, 5 min).\n\n| case | the abusive connection got | unrelated client |\n"
                + "|---|---|---|\n" + String.join("\n", REPORT));
        if (unrelated != null) {
            unrelated.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (started != null) {
            started.close();
        }
        TempDirs.deleteTreeQuietly(root);
    }

    private RawHttp2Connection connection;

    @AfterEach
    void closeConnection() throws IOException {
        if (connection != null) {
            connection.close();
        }
    }

    private RawHttp2Connection connect() throws IOException {
        connection = new RawHttp2Connection(gateway.port("grpc"));
        return connection;
    }

    /** An unrelated client's ServerLive, through the whole path to the model. */
    private static boolean unrelatedIsServed() {
        return GRPCInferenceServiceGrpc.newBlockingStub(unrelated).withCallCredentials(bearer())
                .withDeadlineAfter(20, TimeUnit.SECONDS).serverLive(ServerLiveRequest.getDefaultInstance()).getLive();
    }

    private static void report(String attack, String got) {
        REPORT.add("| " + attack + " | " + got + " | served: " + unrelatedIsServed() + " |");
    }

    @Test
    void aRapidResetFloodEndsTheConnectionWithEnhanceYourCalmAndOthersAreStillServed() throws Exception {
        RawHttp2Connection h2 = connect();
        int sent = 0;
        try {
            for (int i = 0; i < 1_000; i++) {
                int stream = 1 + 2 * i;
                h2.frame(RawHttp2Connection.HEADERS, RawHttp2Connection.END_HEADERS, stream,
                        h2.grpcHeaderBlock(stream, SERVER_LIVE, "authorization", "Bearer " + token));
                h2.rstStream(stream, RawHttp2Connection.CANCEL);
                sent++;
                if (i % 50 == 49) {
                    h2.flush();
                }
            }
            h2.flush();
        } catch (IOException closedByTheServer) {
            // expected once the server has had enough
        }

        Frame goAway = h2.readUntil(f -> f.type() == RawHttp2Connection.GOAWAY, 10_000);

        assertThat(goAway).as("GOAWAY after %d reset streams; frames: %s", sent, h2.received()).isNotNull();
        assertThat(goAway.errorCode()).isEqualTo(RawHttp2Connection.ENHANCE_YOUR_CALM);
        assertThat(goAway.debug()).isEqualTo("too_many_rststreams");
        assertThat(unrelatedIsServed()).isTrue();
        report("rapid reset: HEADERS + RST_STREAM × " + sent, "GOAWAY ENHANCE_YOUR_CALM `" + goAway.debug() + "`");
    }

    @Test
    void streamsBeyondMaxConcurrentStreamsAreRefusedAndOthersAreStillServed() throws Exception {
        RawHttp2Connection h2 = connect();
        Frame settings = h2.readUntil(f -> f.type() == RawHttp2Connection.SETTINGS && (f.flags() & 1) == 0, 5_000);
        assertThat(settings).isNotNull();
        assertThat(settings.setting(0x3)).as("SETTINGS_MAX_CONCURRENT_STREAMS").isEqualTo(10);
        for (int i = 0; i < 50; i++) { // calls that never send their message: they stay open
            int stream = 1 + 2 * i;
            h2.frame(RawHttp2Connection.HEADERS, RawHttp2Connection.END_HEADERS, stream,
                    h2.grpcHeaderBlock(stream, SERVER_LIVE, "authorization", "Bearer " + token));
        }
        h2.flush();

        List<Frame> refused = new ArrayList<>();
        while (refused.size() < 40) {
            Frame f = h2.readUntil(x -> x.type() == RawHttp2Connection.RST_STREAM
                    && x.errorCode() == RawHttp2Connection.REFUSED_STREAM, 5_000);
            if (f == null) {
                break;
            }
            refused.add(f);
        }

        assertThat(refused).as("frames: %s", h2.received()).hasSize(40);
        assertThat(refused).extracting(Frame::streamId).allMatch(id -> id > 1 + 2 * 9);
        assertThat(unrelatedIsServed()).isTrue();
        report("50 concurrent streams on one connection (limit 10)", "SETTINGS_MAX_CONCURRENT_STREAMS 10; "
                + refused.size() + " streams RST_STREAM REFUSED_STREAM");
    }

    @Test
    void metadataOverTheCapSpreadOverContinuationFramesIsRefusedBeforeAnyStepAndOthersAreStillServed()
            throws Exception {
        RawHttp2Connection h2 = connect();
        byte[] block = h2.grpcHeaderBlock(1, SERVER_LIVE, "authorization", "Bearer " + token,
                "x-padding", "p".repeat(40 * 1024));
        int at = 0;
        try {
            while (at < block.length) {
                int end = Math.min(block.length, at + 16_384);
                boolean last = end == block.length;
                h2.frame(at == 0 ? RawHttp2Connection.HEADERS : RawHttp2Connection.CONTINUATION,
                        last ? RawHttp2Connection.END_HEADERS : 0, 1, Arrays.copyOfRange(block, at, end));
                at = end;
            }
            h2.grpcMessage(1, new byte[0], true);
            h2.flush();
        } catch (IOException closedByTheServer) {
            // the server may refuse the block with GOAWAY and close before the rest is written
        }

        Frame answer = h2.readUntil(f -> (f.streamId() == 1 && (f.type() == RawHttp2Connection.RST_STREAM
                || f.type() == RawHttp2Connection.HEADERS)) || f.type() == RawHttp2Connection.GOAWAY, 10_000);

        assertThat(answer != null || h2.closedByServer()).as("frames: %s", h2.received()).isTrue();
        String got;
        if (answer == null) {
            got = "connection closed by the server after " + at + " bytes of the header block";
        } else if (answer.type() == RawHttp2Connection.HEADERS) {
            Http2Headers headers = decodeAll(h2, answer);
            assertThat(headers.get("grpc-status")).as("%s", headers).isNotNull();
            assertThat(headers.get("grpc-status").toString()).isNotEqualTo("0");
            got = "answered without running the call: :status " + headers.status() + ", grpc-status "
                    + headers.get("grpc-status") + " `" + headers.get("grpc-message") + "`";
        } else {
            got = answer.toString();
        }
        assertThat(unrelatedIsServed()).isTrue();
        report("42 KiB of metadata in HEADERS + CONTINUATION (cap 8 KiB)", got);
    }

    @Test
    void aContinuationFloodEndsTheConnectionBeforeItIsReadWholeAndOthersAreStillServed() throws Exception {
        RawHttp2Connection h2 = connect();
        byte[] start = h2.grpcHeaderBlock(1, SERVER_LIVE);
        h2.frame(RawHttp2Connection.HEADERS, 0, 1, start);
        byte[] junk = new byte[16_384];
        Arrays.fill(junk, (byte) 0x40); // "literal with incremental indexing": never a complete header
        long sent = 0;
        try {
            for (int i = 0; i < 1_000; i++) { // 16 MiB of one header block
                h2.frame(RawHttp2Connection.CONTINUATION, 0, 1, junk);
                sent += junk.length;
            }
            h2.flush();
        } catch (IOException closedByTheServer) {
            // expected: the server stopped reading
        }

        Frame goAway = h2.readUntil(f -> f.type() == RawHttp2Connection.GOAWAY, 10_000);

        assertThat(goAway != null || h2.closedByServer()).as("frames: %s", h2.received()).isTrue();
        assertThat(sent).as("the server ended it before 16 MiB were taken").isLessThan(1_000L * junk.length);
        assertThat(unrelatedIsServed()).isTrue();
        report("CONTINUATION flood: one header block of up to 16 MiB", (goAway != null ? goAway.toString()
                : "connection closed") + " after " + (sent / 1024) + " KiB were written");
    }

    @Test
    void aFlowControlWindowOverflowEndsTheConnectionWithFlowControlErrorAndOthersAreStillServed() throws Exception {
        RawHttp2Connection h2 = connect();
        h2.windowUpdate(0, Integer.MAX_VALUE);
        h2.flush();

        Frame goAway = h2.readUntil(f -> f.type() == RawHttp2Connection.GOAWAY, 10_000);

        assertThat(goAway).as("frames: %s", h2.received()).isNotNull();
        assertThat(goAway.errorCode()).isEqualTo(RawHttp2Connection.FLOW_CONTROL_ERROR);
        assertThat(unrelatedIsServed()).isTrue();
        report("WINDOW_UPDATE overflowing the connection window (2^31-1)", "GOAWAY FLOW_CONTROL_ERROR");
    }

    @Test
    void aFloodOfTinyWindowUpdatesCostsTheServerNothingOthersNotice() throws Exception {
        RawHttp2Connection h2 = connect();
        int sent = 0;
        try {
            for (int i = 0; i < 20_000; i++) {
                h2.windowUpdate(0, 1);
                sent++;
            }
            h2.flush();
        } catch (IOException closedByTheServer) {
            // allowed too
        }
        Frame goAway = h2.readUntil(f -> f.type() == RawHttp2Connection.GOAWAY, 2_000);

        assertThat(unrelatedIsServed()).isTrue();
        report("20,000 one-byte WINDOW_UPDATEs", goAway != null ? goAway.toString()
                : "absorbed (" + sent + " frames; the window stays below 2^31-1)");
    }

    @Test
    void aPingFloodIsToldTooManyPingsAndOthersAreStillServed() throws Exception {
        RawHttp2Connection h2 = connect();
        int sent = 0;
        try {
            for (int i = 0; i < 1_000; i++) {
                h2.ping(i);
                sent++;
                if (i % 10 == 9) {
                    h2.flush();
                }
            }
            h2.flush();
        } catch (IOException closedByTheServer) {
            // expected once the server has had enough
        }

        Frame goAway = h2.readUntil(f -> f.type() == RawHttp2Connection.GOAWAY, 10_000);

        assertThat(goAway).as("frames: %s", h2.received()).isNotNull();
        assertThat(goAway.errorCode()).isEqualTo(RawHttp2Connection.ENHANCE_YOUR_CALM);
        assertThat(goAway.debug()).isEqualTo("too_many_pings");
        assertThat(unrelatedIsServed()).isTrue();
        report("ping flood: " + sent + " PINGs without a call", "GOAWAY ENHANCE_YOUR_CALM `too_many_pings`");
    }

    /** Decodes every HEADERS frame up to {@code target} in order (HPACK state), returns the target's headers. */
    private static Http2Headers decodeAll(RawHttp2Connection h2, Frame target) throws IOException {
        Http2Headers last = null;
        for (Frame f : h2.received()) {
            if (f.type() == RawHttp2Connection.HEADERS) {
                last = h2.decode(f);
                if (f == target) {
                    return last;
                }
            }
        }
        return last;
    }

    private static CallCredentials bearer() {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, java.util.concurrent.Executor executor,
                                             MetadataApplier applier) {
                Metadata headers = new Metadata();
                headers.put(AUTHORIZATION, "Bearer " + token);
                applier.apply(headers);
            }
        };
    }
}
