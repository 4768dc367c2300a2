package io.gatehouse.cli;

import sun.misc.Signal;

/**
 * POSIX signals for {@code serve} and {@code agent}, through {@code sun.misc.Signal} (module
 * {@code jdk.unsupported}, exported to every class path application, no flag needed): SIGHUP reloads,
 * SIGTERM and SIGINT drain then exit 0. With a handler of our own, SIGTERM no longer runs the JVM's
 * default (shutdown hooks, then exit status 143), so a drained stop is a clean exit for Kubernetes.
 */
final class Signals {

    private Signals() {
    }

    /** Handles {@code name} (HUP, TERM, INT) with {@code action}; false when this platform has no such signal. */
    static boolean on(String name, Runnable action) {
        try {
            Signal.handle(new Signal(name), signal -> action.run());
            return true;
        } catch (IllegalArgumentException unknownOrReserved) {
            return false;
        }
    }
}
