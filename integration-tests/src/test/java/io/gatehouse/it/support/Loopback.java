package io.gatehouse.it.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Ports on loopback. */
public final class Loopback {

    private Loopback() {
    }

    /** A port free now; for configs that must name their ports before the server starts. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
