package io.gatehouse.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders a kustomization with the machine's {@code kubectl kustomize} (kustomize v4 or later, for components),
 * or a {@code kustomize} binary. {@link #find} says why neither is usable, so a test can skip saying so.
 */
final class Kustomize {

    private static final Pattern KUSTOMIZE_VERSION = Pattern.compile("Kustomize Version: v?(\\d+)\\.");
    private final List<String> command;

    private Kustomize(List<String> command) {
        this.command = command;
    }

    /** The renderer, or the reason there is none on this machine. */
    static Result find() {
        Optional<Path> kubectl = onPath("kubectl");
        String why;
        if (kubectl.isPresent()) {
            String version = run(List.of(kubectl.get().toString(), "version", "--client"));
            Matcher m = KUSTOMIZE_VERSION.matcher(version);
            if (m.find() && Integer.parseInt(m.group(1)) >= 4) {
                return new Result(new Kustomize(List.of(kubectl.get().toString(), "kustomize")), null);
            }
            why = "kubectl's kustomize is older than v4 (no components): " + version.strip().replace('\n', ' ');
        } else {
            why = "kubectl is not installed (.ci/run installs Debian's kubernetes-client)";
        }
        Optional<Path> kustomize = onPath("kustomize");
        if (kustomize.isPresent()) {
            return new Result(new Kustomize(List.of(kustomize.get().toString(), "build")), null);
        }
        return new Result(null, why + ", and there is no kustomize binary");
    }

    record Result(Kustomize kustomize, String whyNot) {
    }

    /** The rendered YAML stream of a kustomization folder; fails with kustomize's own message. */
    String render(Path directory) {
        List<String> cmd = new ArrayList<>(command);
        cmd.add(directory.toString());
        return run(cmd);
    }

    private static String run(List<String> cmd) {
        try {
            Path out = Files.createTempFile("kustomize", ".out");
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", cmd) + " did not finish in 120 s");
                }
                String text = Files.readString(out, StandardCharsets.UTF_8);
                if (p.exitValue() != 0) {
                    throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "): " + text);
                }
                return text;
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
