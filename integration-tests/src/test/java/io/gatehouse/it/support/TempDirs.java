package io.gatehouse.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Files in a test's temp folder. */
public final class TempDirs {

    private TempDirs() {
    }

    /** Writes {@code text} as UTF-8, creating the parent folders; returns {@code file}. */
    public static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text);
    }

    /** Deletes {@code dir} and all below it; a null or missing folder is left as it is. */
    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        // Deepest first, so that each folder is empty when its turn comes.
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@link #deleteTree}, ignoring failures: a temp folder left behind is harmless. */
    public static void deleteTreeQuietly(Path dir) {
        try {
            deleteTree(dir);
        } catch (UncheckedIOException ignored) {
            // the OS cleans up temp folders
        }
    }
}
