package io.gatehouse.agent;

import java.nio.file.Path;

/** Runs {@link DevCertificates#ensure} in a separate JVM, as the gateway or the agent would. */
public final class DevCertificatesProcess {

    private DevCertificatesProcess() {
    }

    public static void main(String[] args) {
        DevCertificates.ensure(Path.of(args[0]));
    }
}
