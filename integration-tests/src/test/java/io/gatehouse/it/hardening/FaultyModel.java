package io.gatehouse.it.hardening;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * An OpenAI-style chat model on raw sockets that misbehaves on purpose. Every answer carries personal
 * data (an e-mail address and a payment card number, the masking's job) and ends with {@code END-<n>},
 * where n is the request's {@code X-Fault-Seq} header, so a client can tell a complete answer from a
 * cut one. Which request gets which fault is decided by {@link #faultOf}; a {@link Fault#BURST_5XX}
 * also makes every request arriving in the next {@link #BURST} answer 5xx. The fault actually served to each
 * request is kept in {@link #served()}.
 *
 * <p>Raw sockets, one thread per connection (kept alive as HTTP/1.1 allows), because the faults are
 * below what an HTTP server library lets one do: a reset (RST) before or in the middle of an answer,
 * a body shorter than its {@code Content-Length}, a chunked stream without its last chunk.
 */
final class FaultyModel implements AutoCloseable {

    /** What a request gets. */
    enum Fault {
        NONE,
        /** The connection is reset (RST) once the request is read, before any answer. */
        RESET_BEFORE_HEAD,
        /** No answer at all: the agent's response timeout must end it. */
        NO_HEAD,
        /** Half the body, then the connection closes cleanly (FIN): short of Content-Length / no last chunk. */
        TRUNCATED,
        /** Half the body, then a reset. */
        RESET_MID_BODY,
        /** A "complete" answer that is garbage: invalid JSON, binary bytes, events that are not JSON, PII inside. */
        GARBAGE,
        /** The answer drips out slower than the endpoint's request timeout allows. */
        SLOW_DRIP,
        /** This request and every one arriving in the next {@link #BURST} answer 500, 502 or 503. */
        BURST_5XX
    }

    static final java.time.Duration BURST = java.time.Duration.ofMillis(300);
    static final String EMAIL_DOMAIN = "@example.com";
    static final String CARD = "4111 1111 1111 1111";
    private static final Fault[] FAULTS = {Fault.RESET_BEFORE_HEAD, Fault.NO_HEAD, Fault.TRUNCATED,
        Fault.RESET_MID_BODY, Fault.GARBAGE, Fault.SLOW_DRIP, Fault.BURST_5XX};

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "faulty-model");
        t.setDaemon(true);
        return t;
    });
    private final long seed;
    private final int faultPercent;
    private final Drip drip;
    private volatile long burstUntilNanos = System.nanoTime();
    private final Map<Integer, Fault> served = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** Drip pacing: one SSE event (or body slice) per {@code interval}, {@code pieces} of them. */
    record Drip(long intervalMillis, int pieces) {
    }

    FaultyModel(long seed, int faultPercent, Drip drip) throws IOException {
        this.seed = seed;
        this.faultPercent = faultPercent;
        this.drip = drip;
        this.server = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
        threads.execute(this::accept);
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** The fault request {@code n} is given (before bursts): about {@code faultPercent} % get one. */
    Fault faultOf(int n) {
        long h = mix(seed ^ (n * 0x9E3779B97F4A7C15L));
        if (Math.floorMod(h, 100) >= faultPercent) {
            return Fault.NONE;
        }
        return FAULTS[(int) Math.floorMod(h >>> 17, FAULTS.length)];
    }

    /** What each request that reached the model got, by its sequence number. */
    Map<Integer, Fault> served() {
        return Map.copyOf(served);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void accept() {
        while (!closed) {
            try {
                Socket s = server.accept();
                s.setTcpNoDelay(true);
                threads.execute(() -> serve(s));
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (!closed) {
                Request request = Request.read(in);
                if (request == null) {
                    return;
                }
                if (!answer(request, socket, in, out)) {
                    return;
                }
            }
        } catch (IOException | InterruptedException gone) {
            // the agent closed or reset: nothing to do
        }
    }

    /** Answers one request; false when the connection is done. */
    private boolean answer(Request request, Socket socket, InputStream in, OutputStream out)
            throws IOException, InterruptedException {
        int n = request.sequence();
        Fault fault = n < 0 ? Fault.NONE : faultOf(n);
        if (fault == Fault.BURST_5XX) {
            burstUntilNanos = System.nanoTime() + BURST.toNanos();
        } else if (fault == Fault.NONE && System.nanoTime() - burstUntilNanos < 0) {
            fault = Fault.BURST_5XX;
        }
        if (n >= 0) {
            served.put(n, fault);
        }
        boolean stream = request.stream();
        switch (fault) {
            case RESET_BEFORE_HEAD -> {
                reset(socket);
                return false;
            }
            case NO_HEAD -> {
                socket.setSoTimeout(30_000);
                try {
                    while (in.read() >= 0) {
                        // wait for the agent to give up and close
                    }
                } catch (IOException timeout) {
                    // done either way
                }
                return false;
            }
            case BURST_5XX -> {
                int status = new int[] {500, 502, 503}[Math.floorMod(n, 3)];
                byte[] body = ("{\"error\":{\"message\":\"overloaded, try " + "ops" + EMAIL_DOMAIN
                        + "\",\"type\":\"server_error\"}}").getBytes(StandardCharsets.UTF_8);
                out.write(head(status, "application/json", body.length));
                out.write(body);
                out.flush();
                return true;
            }
            case GARBAGE -> {
                if (stream) {
                    out.write(chunkedHead("text/event-stream"));
                    for (byte[] event : garbageEvents(n)) {
                        out.write(chunk(event));
                    }
                    out.write(chunk("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8)));
                    out.write(lastChunk());
                } else {
                    byte[] body = ("{\"id\":\"chatcmpl-" + n + "\",\"choices\":[{\"message\":{\"content\":\"garbage "
                            + "bob." + n + EMAIL_DOMAIN + " " + CARD + "\"}}]").getBytes(StandardCharsets.UTF_8);
                    out.write(head(200, "application/json", body.length));
                    out.write(body);
                }
                out.flush();
                return true;
            }
            default -> {
                return stream ? stream(n, fault, socket, out) : whole(n, fault, socket, out);
            }
        }
    }

    private boolean whole(int n, Fault fault, Socket socket, OutputStream out) throws IOException, InterruptedException {
        byte[] body = ("{\"id\":\"chatcmpl-" + n + "\",\"object\":\"chat.completion\",\"created\":0,"
                + "\"model\":\"demo-small\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
                + content(n) + "\"},\"finish_reason\":\"stop\"}]}").getBytes(StandardCharsets.UTF_8);
        out.write(head(200, "application/json", body.length));
        switch (fault) {
            case TRUNCATED, RESET_MID_BODY -> {
                out.write(body, 0, body.length / 2);
                out.flush();
                if (fault == Fault.RESET_MID_BODY) {
                    reset(socket);
                }
                return false;
            }
            case SLOW_DRIP -> {
                int piece = Math.max(1, body.length / drip.pieces());
                for (int off = 0; off < body.length; off += piece) {
                    out.write(body, off, Math.min(piece, body.length - off));
                    out.flush();
                    Thread.sleep(drip.intervalMillis());
                }
                return true;
            }
            default -> {
                out.write(body);
                out.flush();
                return true;
            }
        }
    }

    private boolean stream(int n, Fault fault, Socket socket, OutputStream out) throws IOException, InterruptedException {
        out.write(chunkedHead("text/event-stream"));
        String[] words = content(n).split(" ");
        int cut = fault == Fault.TRUNCATED || fault == Fault.RESET_MID_BODY ? words.length / 2 : Integer.MAX_VALUE;
        for (int i = 0; i < words.length; i++) {
            if (i == cut) {
                out.flush();
                if (fault == Fault.RESET_MID_BODY) {
                    reset(socket);
                }
                return false;
            }
            String word = i == 0 ? words[i] : " " + words[i];
            out.write(chunk(("data: {\"id\":\"chatcmpl-" + n + "\",\"object\":\"chat.completion.chunk\",\"choices\":"
                    + "[{\"index\":0,\"delta\":{\"content\":\"" + word + "\"}}]}\n\n").getBytes(StandardCharsets.UTF_8)));
            if (fault == Fault.SLOW_DRIP) {
                out.flush();
                Thread.sleep(drip.intervalMillis() * drip.pieces() / words.length + 1);
            }
        }
        out.write(chunk("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8)));
        out.write(lastChunk());
        out.flush();
        return true;
    }

    /** The answer's text: personal data (split over several words in streams) and the end marker. */
    static String content(int n) {
        return "Reply " + n + ": write to alice." + n + EMAIL_DOMAIN + " and pay with " + CARD + " today END-" + n;
    }

    private static byte[][] garbageEvents(int n) {
        byte[] binary = new byte[64];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) (i * 37 + n);
        }
        return new byte[][] {
            ("data: {not json, mail carol." + n + EMAIL_DOMAIN + "\n\n").getBytes(StandardCharsets.UTF_8),
            ": a comment line\n\n".getBytes(StandardCharsets.UTF_8),
            binary,
            "\n\n".getBytes(StandardCharsets.UTF_8),
            ("data: {\"choices\":[{\"delta\":{\"content\":\"card " + CARD + "\"}}]}\n\n").getBytes(StandardCharsets.UTF_8),
            "event: weird\ndata: [1,2,\n\n".getBytes(StandardCharsets.UTF_8),
            ("data: {\"choices\":[{\"delta\":{\"content\":\"dave." + n + EMAIL_DOMAIN + "\"}}]}").getBytes(StandardCharsets.UTF_8),
            "\r\n\r\n".getBytes(StandardCharsets.UTF_8),
        };
    }

    private static void reset(Socket socket) throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    private static byte[] head(int status, String contentType, int length) {
        return ("HTTP/1.1 " + status + " " + (status == 200 ? "OK" : "Error") + "\r\nContent-Type: " + contentType
                + "\r\nContent-Length: " + length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] chunkedHead(String contentType) {
        return ("HTTP/1.1 200 OK\r\nContent-Type: " + contentType + "\r\nTransfer-Encoding: chunked\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] chunk(byte[] data) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(data.length + 16);
        b.writeBytes((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(data);
        b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }

    private static byte[] lastChunk() {
        return "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        threads.shutdownNow();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The parts of a request the model looks at. */
    private record Request(Map<String, String> headers, String body) {

        /** Reads one request, or null at a clean end of the connection. */
        static Request read(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int state = 0;
            int b;
            while (state < 4) {
                b = in.read();
                if (b < 0) {
                    if (head.size() == 0) {
                        return null;
                    }
                    throw new SocketException("request head cut off");
                }
                head.write(b);
                state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3))
                        ? state + 1 : (b == '\r' ? 1 : 0);
                if (head.size() > 64 * 1024) {
                    throw new SocketException("request head too large");
                }
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            Map<String, String> headers = new ConcurrentHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
                }
            }
            int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            byte[] body = in.readNBytes(length);
            if (body.length < length) {
                throw new SocketException("request body cut off");
            }
            return new Request(headers, new String(body, StandardCharsets.UTF_8));
        }

        int sequence() {
            try {
                return Integer.parseInt(headers.getOrDefault("x-fault-seq", "-1"));
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        boolean stream() {
            return body.replace(" ", "").contains("\"stream\":true");
        }
    }
}
