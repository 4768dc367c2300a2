package io.gatehouse.samplemodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleModelMainTest {

    @Test
    void refusesToStartWithoutAnApiKeyAndSaysHowToGiveOne() {
        assertThatThrownBy(() -> SampleModelMain.parse(new String[] {"--port", "9000"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("an API key is required: pass --api-key KEY or --api-key-file FILE, "
                        + "or set SAMPLE_MODEL_API_KEY (clients then send 'Authorization: Bearer KEY')");
    }

    @Test
    void defaultsToLoopbackPort8000AndTakesTheKeyFromTheEnvironment() {
        SampleModelSettings settings = SampleModelMain.parse(new String[0], Map.of("SAMPLE_MODEL_API_KEY", "env-key"));

        assertThat(settings.host()).isEqualTo("127.0.0.1");
        assertThat(settings.port()).isEqualTo(8000);
        assertThat(settings.apiKey()).isEqualTo("env-key");
        assertThat(settings.tokenDelay()).isEqualTo(Duration.ofMillis(50));
        assertThat(settings.grpcPort()).isEqualTo(8001);
    }

    @Test
    void theGrpcPortHasItsOwnFlagWhereZeroMeansAFreePort() {
        Map<String, String> env = Map.of("SAMPLE_MODEL_API_KEY", "k");

        assertThat(SampleModelMain.parse(new String[] {"--grpc-port", "9001"}, env).grpcPort()).isEqualTo(9001);
        assertThat(SampleModelMain.parse(new String[] {"--grpc-port=0"}, env).grpcPort()).isZero();
        assertThatThrownBy(() -> SampleModelMain.parse(new String[] {"--grpc-port", "-1"}, env))
                .hasMessage("--grpc-port must be an integer from 0 to 65535, got '-1'");
    }

    @Test
    void flagsInBothSpellingsOverrideDefaultsAndTheEnvironment() {
        SampleModelSettings settings = SampleModelMain.parse(new String[] {
            "--host", "0.0.0.0", "--port=8123", "--api-key", "flag-key", "--token-delay-ms=5",
            "--models", "a, b", "--max-threads", "16"}, Map.of("SAMPLE_MODEL_API_KEY", "env-key"));

        assertThat(settings).isEqualTo(new SampleModelSettings("0.0.0.0", 8123, "flag-key",
                java.util.List.of("a", "b"), Duration.ofMillis(5), 16));
    }

    @Test
    void answerPrefixFlagChangesWhatAnswersStartWithAndDefaultsToYouSaid() {
        assertThat(SampleModelMain.parse(new String[] {"--api-key", "k", "--answer-prefix", "Shadow says: "}, Map.of())
                .answerPrefix()).isEqualTo("Shadow says: ");
        assertThat(SampleModelMain.parse(new String[] {"--api-key", "k"}, Map.of()).answerPrefix())
                .isEqualTo("You said: ");
    }

    @Test
    void readsTheKeyFromAFileNamedByFlagOrEnvironment(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("key"), "file-key\n");

        assertThat(SampleModelMain.parse(new String[] {"--api-key-file", file.toString()}, Map.of()).apiKey())
                .isEqualTo("file-key");
        assertThat(SampleModelMain.parse(new String[0], Map.of("SAMPLE_MODEL_API_KEY_FILE", file.toString())).apiKey())
                .isEqualTo("file-key");
        assertThatThrownBy(() -> SampleModelMain.parse(new String[] {"--api-key-file", dir.resolve("none").toString()},
                Map.of())).hasMessage("cannot read the API key file " + dir.resolve("none") + ": NoSuchFileException");
    }

    @Test
    void rejectsBadFlagsNamingThem() {
        Map<String, String> env = Map.of("SAMPLE_MODEL_API_KEY", "k");

        assertThatThrownBy(() -> SampleModelMain.parse(new String[] {"--port", "http"}, env))
                .hasMessage("--port must be an integer from 0 to 65535, got 'http'");
        assertThatThrownBy(() -> SampleModelMain.parse(new String[] {"--token-delay-ms", "-1"}, env))
                .hasMessage("--token-delay-ms must be an integer from 0 to 2147483647, got '-1'");
        assertThatThrownBy(() -> SampleModelMain.parse(new String[] {"--verbose", "yes"}, env))
                .hasMessage("unknown option '--verbose'");
        assertThatThrownBy(() -> SampleModelMain.parse(new String[] {"--host"}, env))
                .hasMessage("--host needs a value");
        assertThatThrownBy(() -> SampleModelMain.parse(new String[] {"--api-key", "a", "--api-key-file", "f"}, env))
                .hasMessage("--api-key and --api-key-file cannot be used together");
    }
}
