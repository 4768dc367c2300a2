package io.gatehouse.it.hardening;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The report the build writes: every hardening case tried, what was sent, what came back, and whether the
 * model received anything. Rows from every hardening test class of the run are written to
 * {@code target/hardening-report.md} and {@code target/hardening-report.json} after each class.
 */
final class HardeningReport {

    /** One case. {@code sent} is a short description or the first bytes, escaped. */
    record Row(String suite, String name, String sent, String outcome, boolean reachedModel, boolean recorded,
               boolean passed) {
    }

    private static final Map<String, Row> ROWS = new TreeMap<>();

    private HardeningReport() {
    }

    static synchronized void add(Row row) {
        ROWS.put(row.suite() + "/" + row.name(), row);
    }

    static synchronized void write() {
        List<Row> rows = new ArrayList<>(ROWS.values());
        long reached = rows.stream().filter(Row::reachedModel).count();
        long passed = rows.stream().filter(Row::passed).count();
        StringBuilder md = new StringBuilder("# Hardening report\n\n")
                .append("Written by the integration tests in `io.gatehouse.it.hardening` (raw sockets against the real"
                        + " gateway). Cases tried: ").append(rows.size()).append("; passed: ").append(passed)
                .append("; cases where the model received something it should not: ")
                .append(rows.stream().filter(r -> r.reachedModel() && !r.passed()).count())
                .append(" (cases that are meant to reach it, the controls, say so).\n\n")
                .append("| suite | case | sent | outcome | reached model | recorded | passed |\n")
                .append("|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            md.append("| ").append(r.suite()).append(" | ").append(r.name()).append(" | `")
                    .append(r.sent().replace("|", "\\|").replace("`", "'")).append("` | ")
                    .append(r.outcome().replace("|", "\\|")).append(" | ").append(r.reachedModel() ? "yes" : "no")
                    .append(" | ").append(r.recorded() ? "yes" : "no").append(" | ").append(r.passed() ? "yes" : "NO")
                    .append(" |\n");
        }
        try {
            Path target = Path.of("target");
            Files.createDirectories(target);
            Files.writeString(target.resolve("hardening-report.md"), md);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(
                    target.resolve("hardening-report.json").toFile(),
                    Map.of("cases", rows.size(), "passed", passed, "reachedModel", reached, "rows", rows));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes as readable text: CR, LF, TAB and controls escaped, cut at 120 characters. */
    static String show(String raw) {
        StringBuilder b = new StringBuilder();
        for (char c : raw.toCharArray()) {
            if (b.length() > 120) {
                return b.append("…").toString();
            }
            switch (c) {
                case '\r' -> b.append("\\r");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
            }
        }
        return b.toString();
    }
}
