package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.ConfigFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sub-directories that processor factories own: each file bound strictly, positioned, in name order. */
class ConfigDirectoriesTest {

    /** A policy-like file. */
    record Rules(String name, List<Rule> rules) {
        Rules {
            if (name != null && name.contains(" ")) {
                throw new ConfigException("name", "must not contain spaces, got '" + name + "'");
            }
        }
    }

    record Rule(String name, List<String> endpoints) {
    }

    @TempDir
    Path temp;

    private LoadResult<GatewayConfig> load() {
        Map<String, Class<? extends Record>> steps = Map.of("limits", TestSteps.LimitsConfig.class);
        return new ConfigLoader(steps, Map.of(), Map.of("policies", Rules.class), name -> null).load(temp);
    }

    private void write(String file, String text) throws Exception {
        Path path = temp.resolve(file);
        Files.createDirectories(path.getParent());
        Files.writeString(path, text);
    }

    private void endpoint() throws Exception {
        new ConfigDir(temp).write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));
    }

    @Test
    void everyYamlFileOfAnOwnedDirectoryIsBoundInFileNameOrderAndHiddenFilesAreIgnored() throws Exception {
        endpoint();
        write("policies/b.yaml", "name: b\nrules: [{name: r1}]\n");
        write("policies/a.yml", "name: a\nrules: []\n");
        write("policies/.draft.yaml", "not: bound\n");
        write("policies/notes.txt", "ignored\n");

        GatewayConfig config = load().orThrow();

        assertThat(config.files("policies")).extracting(ConfigFile::path)
                .containsExactly("policies/a.yml", "policies/b.yaml");
        assertThat(config.files("policies").get(1).as(Rules.class))
                .isEqualTo(new Rules("b", List.of(new Rule("r1", null))));
        assertThat(config.files("other")).isEmpty();
    }

    @Test
    void anAbsentDirectoryDeliversNoFiles() throws Exception {
        endpoint();

        assertThat(load().orThrow().files("policies")).isEmpty();
    }

    @Test
    void aFileIsBoundStrictlyAndEveryErrorNamesItsFileLineAndField() throws Exception {
        endpoint();
        write("policies/a.yaml", "name: a\nrules:\n  - name: r1\n    endpoint: [chat]\n");
        write("policies/b.yaml", "name: has space\n");
        write("policies/c.yaml", "");

        assertThat(load().formattedErrors()).containsExactly(
                "policies/a.yaml:4:5: field 'rules[0]': unknown key 'endpoint' (accepted: name, endpoints)",
                "policies/b.yaml:1:7: field 'name': must not contain spaces, got 'has space'",
                "policies/c.yaml:1:1: the file is empty (expected: a map with keys name, rules)");
    }

    @Test
    void aFactoryLocatesAFieldOfABoundFileForItsOwnErrors() throws Exception {
        endpoint();
        write("policies/a.yaml", "name: a\nrules:\n  - name: r1\n  - name: r2\n    endpoints: [chat, nope]\n");

        ConfigFile<?> file = load().orThrow().files("policies").get(0);

        assertThat(file.error("rules[1].endpoints[1]", "unknown endpoint 'nope'").format())
                .isEqualTo("policies/a.yaml:5:23: field 'rules[1].endpoints[1]': unknown endpoint 'nope'");
        assertThat(file.error("rules[1].missing", "x").line()).as("nearest written field").isEqualTo(4);
        assertThat(file.error("", "whole file").format()).isEqualTo("policies/a.yaml:1:1: whole file");
    }

    @Test
    void theEndpointsDirectoryCannotBeClaimed() {
        assertThatThrownBy(() -> new ConfigLoader(Map.of(), Map.of(), Map.of("endpoints", Rules.class), name -> null))
                .hasMessage("config directory 'endpoints' is the gateway's own");
    }
}
