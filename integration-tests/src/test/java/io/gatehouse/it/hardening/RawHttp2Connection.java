package io.gatehouse.it.hardening;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersEncoder;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * An HTTP/2 cleartext (prior knowledge) connection on a plain socket that writes whatever frames a test
 * asks for, well-formed or hostile: frames are laid out by hand (RFC 9113 §4.1) so that a test can send
 * what a well-behaved HTTP/2 library never would (a HEADERS without its end followed by a flood of
 * CONTINUATION frames, a window overflow); header blocks are HPACK-encoded by Netty's encoder. What the
 * server sends back is read as frames too.
 */
final class RawHttp2Connection implements AutoCloseable {

    static final int DATA = 0x0;
    static final int HEADERS = 0x1;
    static final int RST_STREAM = 0x3;
    static final int SETTINGS = 0x4;
    static final int PING = 0x6;
    static final int GOAWAY = 0x7;
    static final int WINDOW_UPDATE = 0x8;
    static final int CONTINUATION = 0x9;
    static final int END_STREAM = 0x1;
    static final int END_HEADERS = 0x4;
    static final int ACK = 0x1;
    static final int CANCEL = 0x8;
    static final int REFUSED_STREAM = 0x7;
    static final int ENHANCE_YOUR_CALM = 0xb;
    static final int FLOW_CONTROL_ERROR = 0x3;
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** One frame the server sent. */
    record Frame(int type, int flags, int streamId, byte[] payload) {
        /** The error code of a RST_STREAM or GOAWAY. */
        int errorCode() {
            int at = type == GOAWAY ? 4 : 0;
            return ((payload[at] & 0xff) << 24) | ((payload[at + 1] & 0xff) << 16) | ((payload[at + 2] & 0xff) << 8)
                    | (payload[at + 3] & 0xff);
        }

        /** A GOAWAY's debug text. */
        String debug() {
            return type == GOAWAY && payload.length > 8
                    ? new String(payload, 8, payload.length - 8, StandardCharsets.UTF_8) : "";
        }

        /** A SETTINGS value, or -1. */
        long setting(int id) {
            for (int i = 0; i + 6 <= payload.length; i += 6) {
                if ((((payload[i] & 0xff) << 8) | (payload[i + 1] & 0xff)) == id) {
                    return ((long) (payload[i + 2] & 0xff) << 24) | ((payload[i + 3] & 0xff) << 16)
                            | ((payload[i + 4] & 0xff) << 8) | (payload[i + 5] & 0xff);
                }
            }
            return -1;
        }

        @Override
        public String toString() {
            return "frame type " + type + " flags " + flags + " stream " + streamId
                    + (type == GOAWAY || type == RST_STREAM ? " error " + errorCode() + " " + debug() : "");
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;
    private final Http2HeadersEncoder hpack = new DefaultHttp2HeadersEncoder();
    private final io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder hpackIn =
            new io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder(false, 1 << 20);
    private final List<Frame> received = new ArrayList<>();
    private boolean closedByServer;

    /** Connects, sends the preface and an empty SETTINGS frame. */
    RawHttp2Connection(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
        in = new DataInputStream(socket.getInputStream());
        out.write(PREFACE);
        frame(SETTINGS, 0, 0, new byte[0]);
        out.flush();
    }

    /** The header block of a gRPC call to {@code method} with the given extra metadata. */
    byte[] grpcHeaderBlock(int streamId, String method, String... extra) throws IOException {
        Http2Headers headers = new DefaultHttp2Headers().method("POST").scheme("http").path(method)
                .authority("127.0.0.1").add("content-type", "application/grpc").add("te", "trailers");
        for (int i = 0; i + 1 < extra.length; i += 2) {
            headers.add(extra[i], extra[i + 1]);
        }
        ByteBuf block = Unpooled.buffer();
        try {
            hpack.encodeHeaders(streamId, headers, block);
            return ByteBufUtil.getBytes(block);
        } catch (io.netty.handler.codec.http2.Http2Exception e) {
            throw new IOException(e);
        } finally {
            block.release();
        }
    }

    /** Writes one frame (not flushed). */
    void frame(int type, int flags, int streamId, byte[] payload) throws IOException {
        int length = payload.length;
        out.write(new byte[] {(byte) (length >>> 16), (byte) (length >>> 8), (byte) length, (byte) type, (byte) flags,
            (byte) (streamId >>> 24), (byte) (streamId >>> 16), (byte) (streamId >>> 8), (byte) streamId});
        out.write(payload);
    }

    void rstStream(int streamId, int errorCode) throws IOException {
        frame(RST_STREAM, 0, streamId, int32(errorCode));
    }

    void windowUpdate(int streamId, int increment) throws IOException {
        frame(WINDOW_UPDATE, 0, streamId, int32(increment));
    }

    void ping(long data) throws IOException {
        byte[] payload = new byte[8];
        for (int i = 0; i < 8; i++) {
            payload[i] = (byte) (data >>> (56 - 8 * i));
        }
        frame(PING, 0, 0, payload);
    }

    /** A gRPC length-prefixed message in one DATA frame. */
    void grpcMessage(int streamId, byte[] message, boolean endStream) throws IOException {
        byte[] payload = new byte[5 + message.length];
        payload[1] = (byte) (message.length >>> 24);
        payload[2] = (byte) (message.length >>> 16);
        payload[3] = (byte) (message.length >>> 8);
        payload[4] = (byte) message.length;
        System.arraycopy(message, 0, payload, 5, message.length);
        frame(DATA, endStream ? END_STREAM : 0, streamId, payload);
    }

    void flush() throws IOException {
        out.flush();
    }

    private static byte[] int32(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    /**
     * Reads frames until one matches {@code until}, the server closes, or {@code millis} pass; answers
     * the server's SETTINGS and PINGs as a client must. Returns the matching frame, or null.
     */
    Frame readUntil(Predicate<Frame> until, long millis) throws IOException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (!closedByServer && System.nanoTime() < deadline) {
            socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            Frame f;
            try {
                f = read();
            } catch (SocketTimeoutException timeout) {
                return null;
            } catch (EOFException | java.net.SocketException closed) {
                closedByServer = true;
                return null;
            }
            received.add(f);
            if (f.type() == SETTINGS && (f.flags() & ACK) == 0) {
                try {
                    frame(SETTINGS, ACK, 0, new byte[0]);
                    flush();
                } catch (IOException closing) {
                    // the server is ending the connection: read what it still sent
                }
            }
            if (until.test(f)) {
                return f;
            }
        }
        return null;
    }

    private Frame read() throws IOException {
        int length = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7fffffff;
        byte[] payload = new byte[length];
        in.readFully(payload);
        return new Frame(type, flags, stream, payload);
    }

    /**
     * The headers of a HEADERS frame the server sent (decode them in the order they arrived: HPACK keeps
     * state across frames). A header block continued in CONTINUATION frames is not supported here.
     */
    Http2Headers decode(Frame headers) throws IOException {
        ByteBuf block = Unpooled.wrappedBuffer(headers.payload());
        try {
            return hpackIn.decodeHeaders(headers.streamId(), block);
        } catch (io.netty.handler.codec.http2.Http2Exception e) {
            throw new IOException(e);
        } finally {
            block.release();
        }
    }

    /** Every frame read so far. */
    List<Frame> received() {
        return List.copyOf(received);
    }

    /** The server closed the connection (EOF or reset) while reading. */
    boolean closedByServer() {
        return closedByServer;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
