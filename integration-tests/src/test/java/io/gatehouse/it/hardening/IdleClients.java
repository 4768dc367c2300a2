package io.gatehouse.it.hardening;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A separate process (JDK only) that holds many idle connections to a port, so that the gateway's JVM holds
 * only the server side of them (client and server sides in one JVM would need twice the file descriptors).
 * Opens {@code count} connections and sends nothing; prints {@code OPEN <count> <millis> <closedAlready>};
 * waits for a line on stdin; then counts the connections the server closes and prints
 * {@code CLOSED <closed> <withBytes> <millis>} once all are closed or {@code waitSeconds} passed.
 */
public final class IdleClients {

    private IdleClients() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int count = Integer.parseInt(args[1]);
        int waitSeconds = Integer.parseInt(args[2]);
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        Selector selector = Selector.open();
        List<SocketChannel> channels = new ArrayList<>(count);
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            SocketChannel channel;
            try {
                channel = SocketChannel.open(address);
            } catch (Exception e) {
                System.out.println("FAILED " + i + " " + e);
                System.out.flush();
                System.exit(2);
                return;
            }
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ);
            channels.add(channel);
        }
        long openMillis = (System.nanoTime() - t0) / 1_000_000;
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        int[] closed = {0};
        int[] withBytes = {0};
        drain(selector, buffer, closed, withBytes, 0);
        System.out.println("OPEN " + channels.size() + " " + openMillis + " " + closed[0]);
        System.out.flush();

        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII)).readLine();
        long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
        while (closed[0] < count && System.nanoTime() < deadline) {
            drain(selector, buffer, closed, withBytes, 500);
        }
        System.out.println("CLOSED " + closed[0] + " " + withBytes[0] + " " + (System.nanoTime() - t0) / 1_000_000);
        System.out.flush();
        for (SocketChannel c : channels) {
            c.close();
        }
    }

    /** Reads what is ready: a connection at its end is counted closed (and whether bytes came before). */
    private static void drain(Selector selector, ByteBuffer buffer, int[] closed, int[] withBytes, long waitMillis)
            throws Exception {
        int ready = waitMillis > 0 ? selector.select(waitMillis) : selector.selectNow();
        if (ready == 0) {
            return;
        }
        Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
        while (keys.hasNext()) {
            SelectionKey key = keys.next();
            keys.remove();
            SocketChannel channel = (SocketChannel) key.channel();
            int n;
            try {
                buffer.clear();
                n = channel.read(buffer);
            } catch (java.io.IOException reset) {
                n = -1;
            }
            if (n > 0) {
                key.attach(Boolean.TRUE);
            } else if (n < 0) {
                closed[0]++;
                if (key.attachment() != null) {
                    withBytes[0]++;
                }
                key.cancel();
                channel.close();
            }
        }
    }
}
