package io.gatehouse.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a service's credential comes from now. A call reads {@link #current()} once, when its upstream request is
 * built, so a rotated value is used from the next call on and a call in flight keeps the one it started with.
 *
 * <ul>
 *   <li>{@code env:NAME} — fixed for the life of the process (a process's environment does not change).</li>
 *   <li>{@code file:PATH} — read again whenever the file or its directory changes ({@link SecretFiles}), which
 *       covers a Kubernetes secret volume (the kubelet swaps the {@code ..data} symlink), a Vault Agent template
 *       and an edit in place; also checked every 30 s for file systems without change events.</li>
 *   <li>{@code command: [...]} — a program printing the secret on its standard output (a cloud CLI, {@code vault
 *       read -field=...}), run at start and every {@code refresh}.</li>
 * </ul>
 *
 * A value that cannot be read, or cannot go in a header, leaves the previous one in place (and says so); the log
 * line of a rotation names the service and the source, never the value.
 */
final class CredentialSource {

    private static final Logger LOG = LoggerFactory.getLogger(CredentialSource.class);

    private final String service;
    private final String source;
    private volatile String value;
    private volatile int version = 1;

    private CredentialSource(String service, String source, String value) {
        this.service = service;
        this.source = source;
        this.value = value;
    }

    /**
     * The source of {@code credential} of {@code service}; registers {@code file:} secrets with {@code files} and
     * commands with it too (their refresh runs on its thread).
     *
     * @param configDirectory what a relative {@code file:} path is resolved against (the agent.yaml's directory)
     * @throws IOException when a command fails at start
     */
    static CredentialSource of(String service, CredentialConfig credential, Path configDirectory, SecretFiles files)
            throws IOException {
        if (credential.command() != null) {
            String first = runCommand(credential.command(), credential.refresh());
            CredentialSource s = new CredentialSource(service, "command " + credential.command().get(0), first);
            files.every(credential.refresh(), () -> {
                try {
                    s.offer(runCommand(credential.command(), credential.refresh()));
                } catch (IOException e) {
                    LOG.warn("service '{}': the credential command failed ({}); keeping the current credential",
                            service, e.getMessage());
                }
            });
            return s;
        }
        String reference = credential.secret().reference();
        CredentialSource s = new CredentialSource(service, reference, credential.secret().reveal());
        if (reference.startsWith("file:")) {
            Path path = configDirectory.resolve(reference.substring(5)).toAbsolutePath().normalize();
            files.watch(path, () -> {
                try {
                    s.offer(Files.readString(path).replaceAll("[\r\n]+$", ""));
                } catch (IOException | RuntimeException e) {
                    LOG.warn("service '{}': {} cannot be read now ({}); keeping the current credential", service,
                            reference, e.getClass().getSimpleName());
                }
            });
        }
        return s;
    }

    /** A credential that never changes (a test's, or an {@code env:} one). */
    static CredentialSource fixed(String service, CredentialConfig credential) {
        return new CredentialSource(service, credential.secret() == null ? "command" : credential.secret().reference(),
                credential.secret() == null ? "" : credential.secret().reveal());
    }

    /** The credential now. */
    String current() {
        return value;
    }

    /** How many values this source has had (1 = never rotated). */
    int version() {
        return version;
    }

    /** A freshly read value: taken when it differs and can be sent in a header. */
    void offer(String fresh) {
        if (fresh == null || fresh.equals(value)) {
            return;
        }
        if (!HeaderRules.isValidValue(fresh)) {
            LOG.warn("service '{}': the new value of {} is empty or holds a line break or control character;"
                    + " keeping the current credential", service, source);
            return;
        }
        value = fresh;
        version++;
        LOG.info("service '{}': credential rotated (source {}, version {}); calls from now on use it, calls in flight"
                + " keep theirs", service, source, version);
    }

    private static String runCommand(List<String> command, Duration timeout) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(false)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        process.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = process.getInputStream()) {
            byte[] buffer = new byte[4096];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (out.size() + n > 64 * 1024) {
                    process.destroyForcibly();
                    throw new IOException("the command printed more than 64 KiB");
                }
                out.write(buffer, 0, n);
            }
        }
        try {
            if (!process.waitFor(Math.max(1, Math.min(timeout.toSeconds(), 30)), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("the command did not finish in time");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (process.exitValue() != 0) {
            throw new IOException("'" + command.get(0) + "' exited with " + process.exitValue());
        }
        return out.toString(StandardCharsets.UTF_8).strip();
    }
}
