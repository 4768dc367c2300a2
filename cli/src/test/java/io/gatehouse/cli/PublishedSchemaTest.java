package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.gateway.plugin.ProcessorRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The schema editors use must describe the steps this build really has. */
class PublishedSchemaTest {

    private static final Path PUBLISHED = Path.of("..", "config", "schema", "gatehouse.schema.json");

    @Test
    void thePublishedSchemaMatchesTheBuiltInSteps() throws Exception {
        String current = ConfigCommand.Schema.published(ProcessorRegistry.load(getClass().getClassLoader(),
                Optional.empty()));
        if (Boolean.getBoolean("gatehouse.schema.write")) {
            Files.createDirectories(PUBLISHED.getParent());
            Files.writeString(PUBLISHED, current, StandardCharsets.UTF_8);
        }
        assertThat(PUBLISHED).as("config/schema/gatehouse.schema.json is stale: run "
                + "`./gatehouse config schema > config/schema/gatehouse.schema.json` (or this test with "
                + "-Dgatehouse.schema.write=true)").exists();
        assertThat(Files.readString(PUBLISHED, StandardCharsets.UTF_8))
                .as("config/schema/gatehouse.schema.json is stale: run "
                        + "`./gatehouse config schema > config/schema/gatehouse.schema.json`")
                .isEqualTo(current);
        assertThat(current).contains("\"limits\"", "\"auth\"", "\"requestTimeout\"");
    }
}
