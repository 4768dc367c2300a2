package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code reload:} and {@code shutdown:} in gateway.yaml. */
class LifecycleConfigTest {

    @TempDir
    Path temp;

    private ConfigDir dir(String extra) {
        ConfigDir dir = new ConfigDir(temp);
        dir.write("gateway.yaml", ConfigDir.GATEWAY + "dataDirectory: " + temp.resolve("data") + "\n" + extra);
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));
        return dir;
    }

    @Test
    void withoutTheSectionsTheDirectoryIsNotWatchedAndADrainWaitsThirtySecondsWithoutDelay() {
        LifecycleConfig lifecycle = dir("").load().orThrow().lifecycle();

        assertThat(lifecycle).isEqualTo(new LifecycleConfig(false, Duration.ofMillis(500), Duration.ZERO,
                Duration.ofSeconds(30)));
    }

    @Test
    void everyReloadAndShutdownKeyIsRead() {
        LifecycleConfig lifecycle = dir("""
                reload: {watch: true, watchDelay: 2s}
                shutdown: {drainDelay: 5s, drainTimeout: 2m}
                """).load().orThrow().lifecycle();

        assertThat(lifecycle).isEqualTo(new LifecycleConfig(true, Duration.ofSeconds(2), Duration.ofSeconds(5),
                Duration.ofMinutes(2)));
    }

    @Test
    void aDrainTimeoutOverAnHourIsAnErrorNamingTheKey() {
        java.util.List<String> errors = dir("shutdown: {drainTimeout: 2h}\n").errors();

        assertThat(errors).containsExactly("gateway.yaml:8:26: field 'shutdown.drainTimeout':"
                + " value 7200s (expected: between 0s and 1h)");
    }

    @Test
    void anUnknownReloadKeyIsAnError() {
        java.util.List<String> errors = dir("reload: {wach: true}\n").errors();

        assertThat(errors).hasSize(1);
        assertThat(errors.get(0)).isEqualTo("gateway.yaml:8:10: field 'reload': unknown key"
                + " 'wach' (accepted: watch, watchDelay)");
    }
}
