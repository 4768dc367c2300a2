package io.gatehouse.it.hardening;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The build's report of the fault cases ({@code target/hardening-faults-report.md}): each test adds a
 * section with the cases it tried and the outcome of each, figures included. The first section of a
 * test run starts the file afresh.
 */
final class FaultsReport {

    static final Path FILE = Path.of("target", "hardening-faults-report.md");
    private static boolean started;

    private FaultsReport() {
    }

    static synchronized void section(String title, String markdown) {
        try {
            Files.createDirectories(FILE.getParent());
            if (!started) {
                started = true;
                Files.writeString(FILE, "# Hardening: faults (upstream, store, HTTP/2 listener)\n\nWritten by the "
                        + "integration tests in io.gatehouse.it.hardening, " + Instant.now() + ".\n\n",
                        StandardCharsets.UTF_8);
            }
            Files.writeString(FILE, "## " + title + "\n\n" + markdown.strip() + "\n\n", StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
