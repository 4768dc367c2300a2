package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Secret;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class YamlFilesTest {

    /** A file shaped like an agent's own config, defined outside the gateway's records. */
    record AgentFile(Listen listen, Map<String, Service> services, List<String> tags, Set<Integer> ports,
                     Path certs, Secret token) {
    }

    record Listen(String host, int port) {
        Listen {
            if (port < 1) {
                throw new ConfigException("port", "must be at least 1, got " + port);
            }
        }
    }

    record Service(URI url, Double weight, Boolean enabled, Long maxBytes) {
    }

    record Range(int min, int max) {
        Range {
            if (min > max) {
                throw new IllegalArgumentException("min must not exceed max");
            }
        }
    }

    record Odd(Object thing) {
    }

    @TempDir
    Path dir;

    @Test
    void bindsNestedRecordsCollectionsPathsAndSecretsRelativeToTheFile() throws IOException {
        Files.writeString(dir.resolve("token.txt"), "t0ken\r\n");
        Path file = write("agent.yaml", """
                listen: {host: 127.0.0.1, port: 7443}
                services:
                  model:
                    url: http://127.0.0.1:8000
                    weight: 0.5
                    enabled: true
                    maxBytes: 5000000000
                  other: {}
                tags: [a, b]
                ports: [1, 2]
                certs: certs
                token: file:token.txt
                """);

        AgentFile agent = YamlFiles.bind(file, AgentFile.class, name -> null).orThrow();

        assertThat(agent.listen()).isEqualTo(new Listen("127.0.0.1", 7443));
        assertThat(agent.services()).containsExactly(
                Map.entry("model", new Service(URI.create("http://127.0.0.1:8000"), 0.5, true, 5_000_000_000L)),
                Map.entry("other", new Service(null, null, null, null)));
        assertThat(agent.tags()).containsExactly("a", "b");
        assertThat(agent.ports()).containsExactly(1, 2);
        assertThat(agent.certs()).isEqualTo(dir.resolve("certs"));
        assertThat(agent.token().reveal()).isEqualTo("t0ken");
        assertThat(agent.toString()).doesNotContain("t0ken");
    }

    @Test
    void errorsNameTheFileByItsNameAndFieldsByTheirPath() {
        Path file = write("agent.yaml", """
                listen: {port: 0}
                services:
                  model: {weight: heavy, enabled: yes}
                tags: [a, ~]
                ports: [1, 1]
                token: t0ken
                listen: {}
                """);

        assertThat(YamlFiles.bind(file, AgentFile.class, name -> null).formattedErrors()).containsExactly(
                "agent.yaml:1:16: field 'listen.port': must be at least 1, got 0",
                "agent.yaml:3:19: field 'services.model.weight': value 'heavy' (expected: a number)",
                "agent.yaml:3:35: field 'services.model.enabled': value 'yes' (expected: true or false)",
                "agent.yaml:4:11: field 'tags[1]': an empty value (expected: a string)",
                "agent.yaml:5:12: field 'ports[1]': duplicate item (a set holds each value once)",
                "agent.yaml:6:8: field 'token': write a secret as env:NAME or file:PATH, not inline",
                "agent.yaml:7:1: duplicate key 'listen'");
    }

    @Test
    void labelsNameTheEntriesOfTopLevelMaps() {
        Path file = write("agent.yaml", "services:\n  model: {weight: heavy}\n");

        assertThat(YamlFiles.bind(file, AgentFile.class, name -> null, Map.of("services", "service")).formattedErrors())
                .containsExactly("agent.yaml:2:19: service 'model' field 'weight': value 'heavy' (expected: a number)");
    }

    @Test
    void anExceptionOtherThanConfigExceptionIsReportedAtTheRecord() {
        Path file = write("range.yaml", "# bounds\nmin: 5\nmax: 1\n");

        assertThat(YamlFiles.bind(file, Range.class, name -> null).formattedErrors())
                .containsExactly("range.yaml:2:1: min must not exceed max");
    }

    @Test
    void aMissingPrimitiveIsRequiredAtTheRecord() {
        Path file = write("range.yaml", "\nmin: 1\n");

        assertThat(YamlFiles.bind(file, Range.class, name -> null).formattedErrors())
                .containsExactly("range.yaml:2:1: field 'max': is required");
    }

    @Test
    void aMisspelledKeyIsReportedOnceNotAlsoAsAMissingField() {
        Path file = write("range.yaml", "min: 1\nmaximum: 2\n");

        assertThat(YamlFiles.bind(file, Range.class, name -> null).formattedErrors())
                .containsExactly("range.yaml:2:1: unknown key 'maximum' (accepted: min, max)");
    }

    @Test
    void aComponentOfAnUnsupportedTypeIsReportedNotThrown() {
        Path file = write("odd.yaml", "thing: 1\n");

        assertThat(YamlFiles.bind(file, Odd.class, name -> null).formattedErrors())
                .containsExactly("odd.yaml:1:8: field 'thing': the config record uses java.lang.Object, which config cannot bind");
    }

    @Test
    void aMissingFileAnEmptyFileAndBrokenYamlAreErrors() {
        assertThat(YamlFiles.bind(dir.resolve("agent.yaml"), Range.class, name -> null).formattedErrors())
                .containsExactly("agent.yaml: file not found in " + dir.toAbsolutePath().normalize());
        assertThat(YamlFiles.bind(write("empty.yaml", "\n"), Range.class, name -> null).formattedErrors())
                .containsExactly("empty.yaml:1:1: the file is empty (expected: a map with keys min, max)");
        assertThat(YamlFiles.bind(write("broken.yaml", "min: 1\nmax: {2\n"), Range.class, name -> null).formattedErrors())
                .containsExactly("broken.yaml:3:1: invalid YAML: while parsing a flow mapping: "
                        + "expected ',' or '}', but got <stream end>");
    }

    private Path write(String name, String content) {
        try {
            return Files.writeString(dir.resolve(name), content);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
