package io.gatehouse.it.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Log files of child processes. */
public final class Logs {

    private Logs() {
    }

    /** The last {@code n} lines of {@code log}, for a failure message; never throws. */
    public static String tail(Path log, int n) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
