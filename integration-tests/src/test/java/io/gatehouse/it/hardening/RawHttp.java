package io.gatehouse.it.hardening;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Bytes on a socket, and the answers read back as the gateway wrote them: each response's status line,
 * headers and body (framed by Content-Length or chunked, as a client would), then whether the gateway
 * closed the connection.
 */
final class RawHttp {

    /** One response as read from the wire. */
    record Response(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Everything read from one connection. */
    record Exchange(List<Response> responses, boolean closedByServer, String leftover) {
        Response first() {
            return responses.isEmpty() ? null : responses.get(0);
        }
    }

    private RawHttp() {
    }

    static String crlf(String... lines) {
        return String.join("\r\n", lines);
    }

    /**
     * Sends {@code bytes} and reads answers until the gateway closes, {@code expected} answers arrived and
     * nothing more comes within {@code quietMillis}, or a 20 s safety bound passes.
     */
    static Exchange send(int port, byte[] bytes, int expected, int quietMillis) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setTcpNoDelay(true);
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            return read(socket, expected, quietMillis);
        }
    }

    static Exchange read(Socket socket, int expected, int quietMillis) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + 20_000_000_000L;
        boolean closed = false;
        byte[] buf = new byte[16384];
        while (System.nanoTime() < deadline) {
            int wait = parse(all.toByteArray()).responses().size() >= expected ? quietMillis : 2000;
            socket.setSoTimeout(wait);
            try {
                int n = in.read(buf);
                if (n < 0) {
                    closed = true;
                    break;
                }
                all.write(buf, 0, n);
            } catch (SocketTimeoutException quiet) {
                if (parse(all.toByteArray()).responses().size() >= expected) {
                    break;
                }
            } catch (java.net.SocketException reset) {
                closed = true;
                break;
            }
        }
        Exchange parsed = parse(all.toByteArray());
        return new Exchange(parsed.responses(), closed, parsed.leftover());
    }

    /** Parses as many whole responses as the bytes hold. */
    static Exchange parse(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        List<Response> responses = new ArrayList<>();
        int at = 0;
        while (true) {
            int headEnd = text.indexOf("\r\n\r\n", at);
            if (headEnd < 0) {
                break;
            }
            String[] lines = text.substring(at, headEnd).split("\r\n");
            String[] statusLine = lines[0].split(" ", 3);
            if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) {
                break;
            }
            int status = Integer.parseInt(statusLine[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            lines[i].substring(colon + 1).trim());
                }
            }
            int bodyStart = headEnd + 4;
            String body;
            int next;
            boolean noBody = status / 100 == 1 || status == 204 || status == 304 || headers.containsKey("x-raw-head");
            if (noBody) {
                body = "";
                next = bodyStart;
            } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                StringBuilder b = new StringBuilder();
                int p = bodyStart;
                boolean complete = false;
                while (true) {
                    int lineEnd = text.indexOf("\r\n", p);
                    if (lineEnd < 0) {
                        break;
                    }
                    int size = Integer.parseInt(text.substring(p, lineEnd).split(";")[0].trim(), 16);
                    if (size == 0) {
                        int end = text.indexOf("\r\n\r\n", lineEnd);
                        p = end < 0 ? text.length() : end + 4;
                        complete = end >= 0;
                        break;
                    }
                    if (lineEnd + 2 + size + 2 > text.length()) {
                        break;
                    }
                    b.append(text, lineEnd + 2, lineEnd + 2 + size);
                    p = lineEnd + 2 + size + 2;
                }
                if (!complete) {
                    break;
                }
                body = b.toString();
                next = p;
            } else if (headers.containsKey("content-length")) {
                int length = Integer.parseInt(headers.get("content-length"));
                if (bodyStart + length > text.length()) {
                    break;
                }
                body = text.substring(bodyStart, bodyStart + length);
                next = bodyStart + length;
            } else {
                body = text.substring(bodyStart);
                next = text.length();
            }
            responses.add(new Response(status, headers, body));
            at = next;
        }
        return new Exchange(responses, false, text.substring(Math.min(at, text.length())));
    }
}
