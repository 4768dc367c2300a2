package io.gatehouse.it.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Slow and greedy clients against the real listener (header 1 s, body 1 s, idle 2 s; listener
 * {@code small} holds {@value HardeningStack#SMALL_LIMIT} connections): each is cut or refused with a
 * problem answer, the model receives nothing from it, and an unrelated client is served meanwhile. 10,000
 * idle connections, held at once on listener {@code idle} (their client sides in another process, so that
 * neither JVM needs more than 10,000 file descriptors for them), and a flood of 3,000 new connections.
 */
class SlowClientsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
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

    /** Writes {@code each} every 200 ms until the gateway stops the connection or 10 s pass. */
    private static Future<?> trickle(ExecutorService pool, Socket socket, String each) {
        return pool.submit(() -> {
            try {
                OutputStream out = socket.getOutputStream();
                for (int i = 0; i < 50; i++) {
                    out.write(each.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    Thread.sleep(200);
                }
            } catch (IOException | InterruptedException stopped) {
                // the gateway closed the connection: what the test waits for
            }
            return null;
        });
    }

    @Test
    void aSlowlorisHeadGets408AndIsClosedWhileAnUnrelatedClientIsServed() throws Exception {
        int before = stack.model.count();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Socket socket = connect(stack.port())) {
            socket.getOutputStream().write(("GET /v1/models HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer "
                    + stack.token() + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            Future<?> writer = trickle(pool, socket, "X-Slow: 1\r\n");

            assertThat(stack.unrelatedStatus()).as("an unrelated client meanwhile").isEqualTo(200);
            RawHttp.Exchange got = RawHttp.read(socket, 1, 300);
            writer.cancel(true);

            assertThat(got.first().status()).isEqualTo(408);
            assertThat(got.first().header("Content-Type")).startsWith("application/problem+json");
            assertThat(JSON.readTree(got.first().body()).path("detail").asText())
                    .startsWith("the request's headers did not arrive within 1s (listeners.<name>.headerReadTimeout)");
            assertThat(got.closedByServer()).isTrue();
            assertThat(stack.model.count() - before).as("requests that reached the model").isEqualTo(1);
            // (the one request above is the unrelated client's)
            report("slowloris head (one header line every 200 ms)", "408, closed; unrelated client 200");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aBodyTrickledInGets408AndNothingReachesTheModel() throws Exception {
        int before = stack.model.count();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Socket socket = connect(stack.port())) {
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer "
                    + stack.token() + "\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{")
                    .getBytes(StandardCharsets.ISO_8859_1));
            Future<?> writer = trickle(pool, socket, " ");

            assertThat(stack.unrelatedStatus()).as("an unrelated client meanwhile").isEqualTo(200);
            RawHttp.Exchange got = RawHttp.read(socket, 1, 300);
            writer.cancel(true);

            assertThat(got.first().status()).isEqualTo(408);
            assertThat(JSON.readTree(got.first().body()).path("detail").asText())
                    .startsWith("the request's body did not arrive within 1s of its headers");
            assertThat(got.closedByServer()).isTrue();
            assertThat(stack.model.seen.stream().skip(before).filter(s -> s.method().equals("POST")).count())
                    .as("chat requests that reached the model").isZero();
            report("slow body (one byte every 200 ms)", "408, closed; unrelated client 200");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aClientThatNeverReadsAStreamIsCutAfterTheIdleTimeoutWhileAnUnrelatedClientIsServed() throws Exception {
        String body = "{\"model\":\"demo-small\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), stack.port()), 10_000);
        try (socket) {
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer "
                    + stack.token() + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                    + "\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
            // Not reading: the socket buffers fill, the gateway's channel turns unwritable, the idle clock runs.
            for (int i = 0; i < 8; i++) {
                assertThat(stack.unrelatedStatus()).as("an unrelated client meanwhile").isEqualTo(200);
                Thread.sleep(1000);
            }
            InputStream in = socket.getInputStream();
            socket.setSoTimeout(60_000);
            byte[] buf = new byte[65536];
            long read = 0;
            String tail = "";
            int n;
            while ((n = in.read(buf)) >= 0) {
                read += n;
                tail = new String(buf, Math.max(0, n - 64), Math.min(n, 64), StandardCharsets.ISO_8859_1);
            }
            assertThat(read).as("bytes the client got before the cut").isPositive()
                    .isLessThan((long) CountingModel.STREAM_CHUNKS * 1000);
            assertThat(tail).as("a cut stream has no end").doesNotContain("[DONE]").doesNotEndWith("0\r\n\r\n");
            report("client never reads a 20 MB stream", "cut after the idle timeout (" + read + " bytes sent);"
                    + " unrelated client 200 eight times");
        }
    }

    @Test
    void tenThousandIdleConnectionsAreHeldAtOnceAndClosedAfterTheIdleTimeoutWhileAClientIsServed() throws Exception {
        // The client sides live in another process (IdleClients): this JVM holds only the gateway's sides.
        long fds = ((com.sun.management.UnixOperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getMaxFileDescriptorCount();
        int count = (int) Math.min(10_000, fds - 2_000);
        assertThat(count).as("idle connections this machine's file-descriptor limit (%d) allows", fds)
                .isGreaterThanOrEqualTo(2_000);
        String javaBin = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classes = java.nio.file.Path.of(IdleClients.class.getProtectionDomain().getCodeSource().getLocation()
                .toURI()).toString();
        Process clients = new ProcessBuilder(javaBin, "-Xmx64m", "-cp", classes, IdleClients.class.getName(),
                Integer.toString(stack.idlePort()), Integer.toString(count), "120").redirectErrorStream(true).start();
        try (java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
                clients.getInputStream(), StandardCharsets.US_ASCII));
             OutputStream in = clients.getOutputStream()) {
            String[] open = tagged(out, "OPEN", "FAILED");
            assertThat(open[0]).as("the idle clients opened their connections: %s", String.join(" ", open))
                    .isEqualTo("OPEN");
            assertThat(Integer.parseInt(open[1])).isEqualTo(count);
            assertThat(Integer.parseInt(open[3])).as("connections the gateway closed while the others opened").isZero();

            assertThat(stack.unrelatedStatus(stack.idlePort())).as("a client beside " + count + " idle connections")
                    .isEqualTo(200);
            in.write("WAIT\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            String[] closed = tagged(out, "CLOSED");
            assertThat(closed[0]).isEqualTo("CLOSED");
            assertThat(Integer.parseInt(closed[1])).as("idle connections the gateway closed").isEqualTo(count);
            assertThat(Integer.parseInt(closed[2])).as("closed with bytes sent first (they asked for nothing)").isZero();
            report(count + " idle connections (client sides in another process)", "all " + count + " held at once"
                    + " (opened in " + open[2] + " ms), closed after the idle timeout of "
                    + HardeningStack.IDLE_LISTENER_TIMEOUT + " without a byte; client beside them 200");
        } finally {
            clients.destroy();
            clients.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The next line of the idle clients that starts with one of {@code tags}, split; other lines are skipped. */
    private static String[] tagged(java.io.BufferedReader out, String... tags) throws IOException {
        for (String line; (line = out.readLine()) != null; ) {
            for (String tag : tags) {
                if (line.startsWith(tag + " ")) {
                    return line.split(" ");
                }
            }
        }
        return new String[] {"(the idle clients ended without a word)", "0", "0", "0"};
    }

    @Test
    void aFloodOfNewConnectionsLeavesAnUnrelatedClientServed() throws Exception {
        int flood = 3000;
        AtomicInteger opened = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Integer> statuses = new ArrayList<>();
        try {
            List<Future<?>> floods = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                floods.add(pool.submit(() -> {
                    for (int i = 0; i < flood / 4; i++) {
                        try (Socket s = connect(stack.port())) {
                            if ((i + thread) % 3 == 0) {
                                s.getOutputStream().write("GET /v1/mod".getBytes(StandardCharsets.ISO_8859_1));
                            }
                            opened.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            while (floods.stream().anyMatch(f -> !f.isDone())) {
                statuses.add(stack.unrelatedStatus());
            }
            for (Future<?> f : floods) {
                f.get(120, TimeUnit.SECONDS);
            }
            statuses.add(stack.unrelatedStatus());
        } finally {
            pool.shutdownNow();
        }
        assertThat(opened.get()).isEqualTo(flood);
        assertThat(statuses).as("the unrelated client's answers during the flood").isNotEmpty().containsOnly(200);
        report("flood of " + flood + " new connections (a third send half a request line)",
                "unrelated client answered 200 " + statuses.size() + " times during it");
    }

    @Test
    void aListenerAtItsConnectionLimitAnswers503AndServesAgainOnceOneCloses() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            // Netty activates connections on several event loops, so which one is over the limit is not known
            // in advance: of limit + 1 connections exactly one gets the 503 and is closed.
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
            assertThat(refused).as("a connection that got an answer without asking").isNotNull();
            held.remove(refused);
            try (Socket extra = refused) {
                RawHttp.Exchange got = RawHttp.read(extra, 1, 300);
                assertThat(got.first().status()).isEqualTo(503);
                assertThat(got.first().header("Retry-After")).isEqualTo("1");
                assertThat(JSON.readTree(got.first().body()).path("detail").asText())
                        .isEqualTo("this gateway listener holds its maximum of 20 connections; retry later or reuse a"
                                + " kept-alive connection");
                assertThat(got.closedByServer()).isTrue();
            }
            for (Socket s : held) {
                assertThat(s.getInputStream().available()).as("an accepted connection got nothing").isZero();
            }
            held.remove(0).close();
            int status = 0;
            for (int attempt = 0; attempt < 50 && status != 200; attempt++) {
                try (Socket again = connect(stack.smallPort())) {
                    again.getOutputStream().write(("GET /v1/models HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer "
                            + stack.token() + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    status = RawHttp.read(again, 1, 100).first().status();
                }
                if (status != 200) {
                    Thread.sleep(20); // the closed connection is counted out on its event loop
                }
            }
            assertThat(status).as("a connection once one of the held ones closed").isEqualTo(200);
            report("one connection over maxConnections (20)", "503 problem with Retry-After, closed; served again"
                    + " once one closed");
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    private static void report(String name, String outcome) {
        HardeningReport.add(new HardeningReport.Row("slow clients", name, name, outcome, false, false, true));
    }
}
