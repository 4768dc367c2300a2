package io.gatehouse.gateway.reload;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The version of a config directory is a digest of its YAML files, and two versions say which files differ. */
class ConfigVersionTest {

    @TempDir
    Path temp;

    @Test
    void equalContentIsOneVersionWhereverTheDirectoryIs() throws Exception {
        Path one = write(temp.resolve("one"), "x: 1\n");
        Path two = write(temp.resolve("two"), "x: 1\n");

        assertThat(ConfigVersion.of(one).version()).isEqualTo(ConfigVersion.of(two).version()).startsWith("sha256:")
                .hasSize(7 + 64);
    }

    @Test
    void theDiffNamesAddedRemovedAndChangedFilesAndIgnoresHiddenAndNonYamlFiles() throws Exception {
        Path dir = write(temp.resolve("dir"), "x: 1\n");
        Files.writeString(dir.resolve("endpoints/old.yaml"), "id: old\n");
        ConfigVersion before = ConfigVersion.of(dir);
        Files.writeString(dir.resolve("gateway.yaml"), "x: 2\n");
        Files.delete(dir.resolve("endpoints/old.yaml"));
        Files.writeString(dir.resolve("endpoints/new.yml"), "id: new\n");
        Files.writeString(dir.resolve("endpoints/.new.yml.swp"), "editor");
        Files.writeString(dir.resolve("README.md"), "notes");

        ConfigVersion.Diff diff = ConfigVersion.of(dir).diff(before);

        assertThat(diff.added()).containsExactly("endpoints/new.yml");
        assertThat(diff.removed()).containsExactly("endpoints/old.yaml");
        assertThat(diff.changed()).containsExactly("gateway.yaml");
        assertThat(ConfigVersion.of(dir).files()).containsOnlyKeys("gateway.yaml", "endpoints/new.yml");
    }

    @Test
    void aDirectoryIsTheSameWhenEveryFileUnderItIs() throws Exception {
        Path dir = write(temp.resolve("dir"), "x: 1\n");
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(dir.resolve("policies/a.yaml"), "name: a\n");
        ConfigVersion before = ConfigVersion.of(dir);
        Files.writeString(dir.resolve("gateway.yaml"), "x: 2\n");
        ConfigVersion gatewayChanged = ConfigVersion.of(dir);
        Files.writeString(dir.resolve("policies/a.yaml"), "name: b\n");

        assertThat(gatewayChanged.sameUnder("policies", before)).isTrue();
        assertThat(ConfigVersion.of(dir).sameUnder("policies", before)).isFalse();
    }

    private static Path write(Path dir, String gateway) throws Exception {
        Files.createDirectories(dir.resolve("endpoints"));
        Files.writeString(dir.resolve("gateway.yaml"), gateway);
        return dir;
    }
}
