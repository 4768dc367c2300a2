package io.gatehouse.gateway.reload;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** reload.watch on a Kubernetes ConfigMap volume (docker/kubernetes mounts the gateway's config that way). */
class ConfigWatcherTest {

    @Test
    void aConfigMapUpdateByTheKubeletsAtomicSwapTriggersAReload(@TempDir Path root) throws Exception {
        // The kubelet's layout: the files are symlinks through ..data to a timestamped folder; an update writes a
        // new folder, points ..data_tmp at it and renames ..data_tmp over ..data. No YAML file event happens.
        Path first = root.resolve("..2026_12_06_13_00_00.1");
        Files.createDirectories(first.resolve("endpoints"));
        Files.writeString(first.resolve("gateway.yaml"), "listeners: {http: {port: 8080}}\n");
        Files.writeString(first.resolve("endpoints/openai.yaml"), "id: openai\n");
        Files.createSymbolicLink(root.resolve("..data"), first.getFileName());
        Files.createSymbolicLink(root.resolve("gateway.yaml"), Path.of("..data/gateway.yaml"));
        Files.createSymbolicLink(root.resolve("endpoints"), Path.of("..data/endpoints"));
        Semaphore reloads = new Semaphore(0);
        try (ConfigWatcher watcher = ConfigWatcher.start(root, Duration.ofMillis(50), reloads::release)) {
            Path second = root.resolve("..2026_12_06_13_05_00.2");
            Files.createDirectories(second.resolve("endpoints"));
            Files.writeString(second.resolve("gateway.yaml"), "listeners: {http: {port: 8080}}\n# edited\n");
            Files.writeString(second.resolve("endpoints/openai.yaml"), "id: openai\n");
            Files.createSymbolicLink(root.resolve("..data_tmp"), second.getFileName());
            Files.move(root.resolve("..data_tmp"), root.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
            assertThat(reloads.tryAcquire(10, TimeUnit.SECONDS)).as("a reload after the swap").isTrue();
            assertThat(Files.readString(root.resolve("gateway.yaml"))).contains("# edited");
        }
    }

    @Test
    void aFileThatIsNotConfigChangesNothing(@TempDir Path root) throws Exception {
        Files.writeString(root.resolve("gateway.yaml"), "listeners: {}\n");
        Semaphore reloads = new Semaphore(0);
        try (ConfigWatcher watcher = ConfigWatcher.start(root, Duration.ofMillis(50), reloads::release)) {
            Files.writeString(root.resolve("notes.txt"), "not config");
            assertThat(reloads.tryAcquire(500, TimeUnit.MILLISECONDS)).as("a text file does not reload").isFalse();
            Files.writeString(root.resolve("gateway.yaml"), "listeners: {}\n# saved\n");
            assertThat(reloads.tryAcquire(10, TimeUnit.SECONDS)).as("a YAML save reloads").isTrue();
        }
    }
}
