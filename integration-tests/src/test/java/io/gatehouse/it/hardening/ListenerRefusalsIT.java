package io.gatehouse.it.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every request gets a record, also those the listener refuses before any endpoint: each class of refusal is
 * sent as raw bytes on a socket, and its record is then looked up through the admin API
 * ({@code /admin/sessions/{the request id the client got}}): a denied exchange of {@code listener:<name>} with
 * the status answered, the listener's rule, and the client's address (its port is this socket's). A flood of
 * refusals is recorded one by one up to {@code refusalRecordsPerSecond} and the rest counted in summaries,
 * the two adding up to what was sent.
 */
class ListenerRefusalsIT {

    private static HardeningStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = HardeningStack.start();
    }

    @AfterAll
    static void stop() {
        HardeningReport.write();
        if (stack != null) {
            stack.close();
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
        socket.setTcpNoDelay(true);
        return socket;
    }

    /** What a refused request got and its record. */
    private record Refused(int status, String requestId, JsonNode record) {
    }

    /** Sends {@code raw} on a new connection, reads the one answer, and finds its record by request id. */
    private static Refused send(int port, String raw) throws Exception {
        try (Socket socket = connect(port)) {
            OutputStream out = socket.getOutputStream();
            out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            RawHttp.Exchange got = RawHttp.read(socket, 1, 300);
            assertThat(got.first()).as("an answer to %s", HardeningReport.show(raw)).isNotNull();
            String id = got.first().header("Gatehouse-Request-Id");
            assertThat(id).as("the request id of the answer to %s", HardeningReport.show(raw)).isNotBlank();
            assertThat(got.first().header("Content-Type")).startsWith("application/problem+json");
            JsonNode record = stack.record(id);
            assertThat(record).as("the record of %s (request %s)", HardeningReport.show(raw), id).isNotNull();
            assertRecordOfThisSocket(record, socket, got.first().status());
            return new Refused(got.first().status(), id, record);
        }
    }

    private static void assertRecordOfThisSocket(JsonNode record, Socket socket, int status) {
        assertThat(record.path("decision").asText()).isEqualTo("denied");
        if (status != 0) {
            assertThat(record.path("status").asInt()).isEqualTo(status);
        }
        assertThat(record.path("request").path("clientAddress").asText())
                .isEqualTo("127.0.0.1:" + socket.getLocalPort());
        assertThat(record.toString()).doesNotContain("Bearer ").doesNotContain("api_key=");
    }

    private static void assertListenerRecord(Refused r, String listener, String rule) {
        assertThat(r.record().path("endpoint").asText()).isEqualTo("listener:" + listener);
        assertThat(r.record().path("rule").path("policy").asText()).isEqualTo("listener");
        if (rule != null) {
            assertThat(r.record().path("rule").path("rule").asText()).isEqualTo(rule);
        }
    }

    private static void report(String name, String sent, Refused r) {
        HardeningReport.add(new HardeningReport.Row("refusal records", name, HardeningReport.show(sent), r.status() + ", recorded as "
                + r.record().path("endpoint").asText() + " rule " + r.record().path("rule").path("rule").asText(),
                false, true, true));
    }

    @Test
    void aConnectRequestIsRecordedByTheListener() throws Exception {
        String raw = RawHttp.crlf("CONNECT model.internal:443 HTTP/1.1", "Host: model.internal:443", "", "");
        Refused r = send(stack.port(), raw);
        assertThat(r.status()).isBetween(400, 499);
        assertListenerRecord(r, "http", null);
        assertThat(r.record().path("request").path("method").asText()).isEqualTo("CONNECT");
        report("CONNECT", raw, r);
    }

    @Test
    void anAuthorityFormTargetIsRecordedByTheListener() throws Exception {
        String raw = RawHttp.crlf("GET model.internal:80 HTTP/1.1", "Host: gw", "", "");
        Refused r = send(stack.port(), raw);
        assertThat(r.status()).isEqualTo(400);
        assertListenerRecord(r, "http", null);
        report("authority-form target", raw, r);
    }

    @Test
    void aBackslashPathOutsideEveryEndpointIsRecordedByTheListener() throws Exception {
        String raw = RawHttp.crlf("GET /\\admin\\secrets HTTP/1.1", "Host: gw", "", "");
        Refused r = send(stack.port(), raw);
        assertThat(r.status()).isEqualTo(400);
        assertListenerRecord(r, "http", null);
        report("backslash path outside the endpoints", raw, r);
    }

    @Test
    void anUnknownPathIsRecordedByTheListenerWithoutItsQuery() throws Exception {
        String raw = RawHttp.crlf("GET /nothing/here?api_key=s3cret HTTP/1.1", "Host: gw", "", "");
        Refused r = send(stack.port(), raw);
        assertThat(r.status()).isEqualTo(404);
        assertListenerRecord(r, "http", "unknown-path");
        assertThat(r.record().path("request").path("path").asText()).isEqualTo("/nothing/here");
        assertThat(r.record().toString()).doesNotContain("s3cret");
        report("unknown path (with a key in the query)", raw, r);
    }

    @Test
    void anUnknownMethodIsRecordedByTheListener() throws Exception {
        String raw = RawHttp.crlf("BREW /v1/models HTTP/1.1", "Host: gw", "", "");
        Refused r = send(stack.port(), raw);
        assertThat(r.status()).isEqualTo(405);
        assertListenerRecord(r, "http", null);
        report("unknown method", raw, r);
    }

    @Test
    void malformedFramingOutsideEveryEndpointIsRecordedByTheListener() throws Exception {
        String raw = RawHttp.crlf("POST /elsewhere HTTP/1.1", "Host: gw", "Content-Length: 5",
                "Transfer-Encoding: chunked", "", "0", "", "");
        Refused r = send(stack.port(), raw);
        assertThat(r.status()).isEqualTo(400);
        assertListenerRecord(r, "http", null);
        report("Content-Length with Transfer-Encoding outside the endpoints", raw, r);
    }

    @Test
    void bytesThatAreNotHttpAreRecordedByTheListener() throws Exception {
        String raw = "\u0001\u0002 garbage \u0000\r\n\r\n";
        Refused r = send(stack.port(), raw);
        assertThat(r.status()).isBetween(400, 499);
        assertListenerRecord(r, "http", null);
        report("bytes that are not HTTP", raw, r);
    }

    @Test
    void aBodyOverTheCapIsRecordedByTheListener() throws Exception {
        String raw = RawHttp.crlf("POST /v1/chat/completions HTTP/1.1", "Host: gw", "Authorization: Bearer "
                + stack.token(), "Content-Type: application/json", "Content-Length: 100000", "", "{");
        Refused r = send(stack.port(), raw);
        assertThat(r.status()).isEqualTo(413);
        assertListenerRecord(r, "http", "body-too-large");
        report("body over maxBodyBytes (announced)", "POST with Content-Length: 100000 over a 64KiB cap", r);
    }

    @Test
    void anUnsupportedExpectationIsRecordedByTheListener() throws Exception {
        String raw = RawHttp.crlf("POST /v1/chat/completions HTTP/1.1", "Host: gw", "Content-Length: 2",
                "Expect: 200-ok", "", "");
        Refused r = send(stack.port(), raw);
        assertThat(r.status()).isEqualTo(417);
        assertListenerRecord(r, "http", "expectation-failed");
        report("Expect other than 100-continue", raw, r);
    }

    @Test
    void aHeaderReadTimeoutIsRecordedByTheListener() throws Exception {
        String raw = "GET /v1/models HTTP/1.1\r\nHost: gw\r\n"; // and no end of the head
        Refused r = send(stack.port(), raw);
        assertThat(r.status()).isEqualTo(408);
        assertListenerRecord(r, "http", "header-read-timeout");
        report("headers never finished", raw, r);
    }

    @Test
    void aBodyReadTimeoutIsRecordedByTheListener() throws Exception {
        String raw = RawHttp.crlf("POST /v1/chat/completions HTTP/1.1", "Host: gw", "Content-Type: application/json",
                "Content-Length: 50", "", "{");
        Refused r = send(stack.port(), raw);
        assertThat(r.status()).isEqualTo(408);
        assertListenerRecord(r, "http", "body-read-timeout");
        assertThat(r.record().path("request").path("method").asText()).isEqualTo("POST");
        assertThat(r.record().path("request").path("path").asText()).isEqualTo("/v1/chat/completions");
        report("body never finished", raw, r);
    }

    @Test
    void anIdleConnectionThatNeverSentARequestIsRecordedWhenClosed() throws Exception {
        int localPort;
        try (Socket socket = connect(stack.port())) {
            localPort = socket.getLocalPort();
            socket.setSoTimeout(30_000);
            assertThat(socket.getInputStream().read()).as("closed by the gateway, with no answer").isEqualTo(-1);
        }
        JsonNode found = null;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (found == null && System.nanoTime() < deadline) {
            for (JsonNode record : stack.records("listener:http")) {
                if (record.path("request").path("clientAddress").asText().equals("127.0.0.1:" + localPort)) {
                    found = record;
                }
            }
            if (found == null) {
                Thread.sleep(200);
            }
        }
        assertThat(found).as("the record of the idle connection from port %d", localPort).isNotNull();
        assertThat(found.path("rule").path("rule").asText()).isEqualTo("idle-timeout");
        assertThat(found.path("decision").asText()).isEqualTo("denied");
        assertThat(found.path("outcome").asText()).isEqualTo("closed");
        HardeningReport.add(new HardeningReport.Row("refusal records", "unused idle connection",
                "connect, send nothing", "closed after the idle timeout, recorded as listener:http rule idle-timeout",
                false, true, true));
    }

    @Test
    void aConnectionOverTheLimitIsRecordedWithTheRequestIdOfIts503() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i <= HardeningStack.SMALL_LIMIT; i++) {
                held.add(connect(stack.smallPort()));
            }
            Socket refused = null;
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (refused == null && System.nanoTime() < deadline) {
                for (Socket s : held) {
                    if (s.getInputStream().available() > 0) {
                        refused = s;
                    }
                }
                Thread.sleep(10);
            }
            assertThat(refused).as("the connection over the limit").isNotNull();
            RawHttp.Exchange got = RawHttp.read(refused, 1, 300);
            assertThat(got.first().status()).isEqualTo(503);
            JsonNode record = stack.record(got.first().header("Gatehouse-Request-Id"));
            assertThat(record).isNotNull();
            assertRecordOfThisSocket(record, refused, 503);
            Refused r = new Refused(503, got.first().header("Gatehouse-Request-Id"), record);
            assertListenerRecord(r, "small", "too-many-connections");
            HardeningReport.add(new HardeningReport.Row("refusal records", "connection over maxConnections",
                    "21 connections to a listener of 20", "503, recorded as listener:small rule too-many-connections",
                    false, true, true));
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void aFloodOfRefusalsIsRecordedOneByOneUpToTheLimitAndTheRestInSummariesThatAddUp() throws Exception {
        int flood = 200;
        for (int i = 0; i < flood; i++) {
            try (Socket s = connect(stack.smallPort())) {
                s.getOutputStream().write(RawHttp.crlf("BREW /v1/flood-" + i + " HTTP/1.1", "Host: gw", "", "")
                        .getBytes(StandardCharsets.ISO_8859_1));
                RawHttp.Exchange got = RawHttp.read(s, 1, 50);
                assertThat(got.first().status()).isEqualTo(405);
            }
        }
        String rule = "method-not-allowed";
        long individual = 0;
        long summarised = 0;
        long summaries = 0;
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < deadline) {
            individual = 0;
            summarised = 0;
            summaries = 0;
            for (JsonNode record : stack.records("listener:small")) {
                String recordRule = record.path("rule").path("rule").asText();
                if (recordRule.equals(rule) && record.path("request").path("path").asText().startsWith("/v1/flood-")) {
                    individual++;
                } else if (recordRule.equals("refusals-not-recorded-individually")) {
                    summaries++;
                    summarised += record.path("refusals").path("byRule").path(rule).asLong();
                }
            }
            if (individual + summarised >= flood) {
                break;
            }
            Thread.sleep(300);
        }
        assertThat(individual + summarised).as("refusals recorded one by one plus those counted in summaries")
                .isEqualTo(flood);
        assertThat(summaries).as("summary records").isPositive();
        assertThat(individual).as("recorded one by one").isPositive().isLessThan(flood);
        HardeningReport.add(new HardeningReport.Row("refusal records", "flood of " + flood + " refusals",
                flood + " unknown-method requests, one per connection, listener at "
                        + HardeningStack.SMALL_REFUSAL_RECORDS + " records/s",
                individual + " recorded one by one, " + summarised + " counted in " + summaries + " summaries",
                false, true, true));
    }
}
