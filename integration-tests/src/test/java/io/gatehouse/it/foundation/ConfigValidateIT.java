package io.gatehouse.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.cli.GatehouseCommand;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code gatehouse config validate DIR} on the demo config and on a broken copy of it. */
class ConfigValidateIT {

    private Path copy;

    /** What a command printed and returned. */
    private record Run(int exitCode, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    @BeforeEach
    void copyTheDemoConfig() throws IOException {
        copy = Files.createTempDirectory("gatehouse-it-validate-").resolve("demo");
        Stack.copyRecursively(demo(), copy);
        // The demo names its plugins folder relatively (../../../plugins/header-stamp/target); the copy
        // lives elsewhere, so point it at the folder failsafe prepared.
        Path gateway = copy.resolve("gateway.yaml");
        String text = Files.readString(gateway);
        String relative = "directory: ../../../plugins/header-stamp/target";
        assertThat(text).contains(relative);
        Files.writeString(gateway, text.replace(relative, "directory: " + Stack.pluginsDirectoryProperty()));
    }

    @AfterEach
    void deleteTheCopy() {
        Stack.deleteRecursively(copy.getParent());
    }

    private static Path demo() {
        return Stack.repoRoot().resolve("config").resolve("examples").resolve("demo");
    }

    private static synchronized Run validate(Path directory) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(outBytes, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(errBytes, true, StandardCharsets.UTF_8));
            code = GatehouseCommand.commandLine().execute("config", "validate", directory.toString());
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new Run(code, outBytes.toString(StandardCharsets.UTF_8), errBytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theDemoConfigIsValid() {
        Run run = validate(demo());

        assertThat(run.exitCode()).as("exit code; stderr: %s", run.err()).isZero();
        assertThat(run.out()).contains(demo() + ": valid (3 endpoint(s): kserve-grpc (gRPC: demo-small, demo-large), ollama /ollama, openai /v1)");
    }

    @Test
    void theCopyWithTheAbsolutePluginsFolderIsValidToo() {
        Run run = validate(copy);

        assertThat(run.exitCode()).as("exit code; stderr: %s", run.err()).isZero();
        assertThat(run.out()).contains(copy + ": valid (3 endpoint(s): kserve-grpc (gRPC: demo-small, demo-large), ollama /ollama, openai /v1)");
    }

    @Test
    void aCopyBrokenInTwoFilesFailsWithOneLinePerErrorNamingFileLineColumnAndField() throws IOException {
        String port = replace(copy.resolve("gateway.yaml"), "  port: 8081\n", "  port: 80810\n", "80810");
        String timeout = replace(copy.resolve("endpoints").resolve("openai.yaml"), "requestTimeout: 120s",
                "requestTimeout: soon", "soon");

        Run run = validate(copy);

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.errLines()).containsExactlyInAnyOrder(
                "gateway.yaml:" + port + ": field 'admin.port': must be between 0 and 65535 (0 picks a free port),"
                        + " got 80810",
                "endpoints/openai.yaml:" + timeout + ": endpoint 'openai' step 'limits' field 'requestTimeout':"
                        + " value 'soon' (expected: a duration like 30s, 5m, 250ms)",
                "2 errors in " + copy);
        assertThat(run.errLines()).last().isEqualTo("2 errors in " + copy);
    }

    @Test
    void aStepOutOfOrderIsRefusedAtItsLineNamingTheRuleItBreaks() throws IOException {
        Path file = copy.resolve("endpoints").resolve("openai.yaml");
        String text = Files.readString(file);
        String masking = "  - masking:            # personal data and secrets masked in answers, streams included (docs/masking.md)\n"
                + "      exemptGroups: [pii-readers]\n";
        assertThat(text).containsOnlyOnce(masking);
        String moved = text.replace(masking, "").replace("  - auth:", masking + "  - auth:");
        Files.writeString(file, moved);
        int line = (int) moved.substring(0, moved.indexOf("  - masking:")).chars().filter(c -> c == '\n').count() + 1;

        Run run = validate(copy);

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.errLines()).containsExactly(
                "endpoints/openai.yaml:" + line + ":5: endpoint 'openai' step 'masking': step 'masking' (phase TRANSFORM)"
                        + " must come after 'auth' (phase AUTHENTICATE): what is rewritten depends on who calls, and a"
                        + " refused request needs no rewriting",
                "1 error in " + copy);
    }

    /** Replaces the one occurrence of {@code from}; returns {@code line:column} of {@code value} in the result. */
    private static String replace(Path file, String from, String to, String value) throws IOException {
        String text = Files.readString(file);
        assertThat(text).containsOnlyOnce(from);
        String changed = text.replace(from, to);
        Files.writeString(file, changed);
        int at = changed.indexOf(to) + to.indexOf(value);
        int line = (int) changed.substring(0, at).chars().filter(c -> c == '\n').count() + 1;
        int column = at - changed.lastIndexOf('\n', at - 1);
        return line + ":" + column;
    }
}
