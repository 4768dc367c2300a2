package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

class SchemaGeneratorTest {

    private final SchemaGenerator generator = new SchemaGenerator(TestSteps.CATALOGUE);
    private final Map<String, Object> schema = generator.schema();

    @Test
    void theDocumentIsDraft202012WithAGatewayAndAnEndpointDefinition() {
        assertThat(schema).containsEntry("$schema", "https://json-schema.org/draft/2020-12/schema");
        assertThat(map(schema, "$defs")).containsOnlyKeys("gateway", "endpoint");
    }

    @Test
    void gatewayListenersAreAMapOfClosedListenerObjects() {
        Map<String, Object> gateway = map(schema, "$defs", "gateway");
        assertThat(gateway).containsEntry("type", "object").containsEntry("additionalProperties", false);
        assertThat(map(gateway, "properties")).containsOnlyKeys("listeners", "admin", "agents", "dataDirectory", "plugins",
                "store", "reload", "shutdown", "agentTunnel", "tracing");

        Map<String, Object> listener = map(gateway, "properties", "listeners", "additionalProperties");
        assertThat(listener).containsEntry("additionalProperties", false).doesNotContainKey("required");
        assertThat(map(listener, "properties", "port")).containsEntry("type", "integer");
        assertThat(map(listener, "properties", "maxBodyBytes"))
                .containsEntry("type", List.of("integer", "string"))
                .containsEntry("pattern", ValueTypes.SIZE_PATTERN);
        assertThat(map(gateway, "properties", "agents", "additionalProperties", "properties", "tls", "properties"))
                .containsOnlyKeys("certificate", "privateKey", "trustedCa");
    }

    @Test
    void endpointProtocolListsTheAcceptedProtocols() {
        assertThat(map(schema, "$defs", "endpoint", "properties", "protocol"))
                .containsEntry("enum", List.of("openai", "ollama", "kserve-v2", "raw"));
    }

    @Test
    void pipelineItemsAreOneSingleKeyObjectPerStepWithThatStepsRecordSchema() {
        Map<String, Object> pipeline = map(schema, "$defs", "endpoint", "properties", "pipeline");
        assertThat(pipeline).containsEntry("type", "array");
        List<Map<String, Object>> steps = list(map(pipeline, "items"), "oneOf");
        assertThat(steps).extracting(step -> step.get("required"))
                .containsExactly(List.of("auth"), List.of("header-stamp"), List.of("limits"), List.of("rate"));
        assertThat(steps).allSatisfy(step -> assertThat(step).containsEntry("additionalProperties", false));

        Map<String, Object> rate = map(steps.get(3), "properties", "rate");
        assertThat(rate).containsEntry("type", List.of("object", "null"))
                .containsEntry("required", List.of("requests"))
                .containsEntry("additionalProperties", false);
        assertThat(map(rate, "properties", "algorithm")).containsEntry("enum", List.of("fixed-window", "sliding-window"));
        assertThat(map(rate, "properties", "groups")).containsEntry("type", "array").containsEntry("uniqueItems", true);
        assertThat(map(steps.get(0), "properties", "auth", "properties", "clientSecret"))
                .containsEntry("type", "string").containsEntry("pattern", ValueTypes.SECRET_PATTERN);
    }

    @Test
    void theDurationPatternAcceptsWhatTheBinderAccepts() {
        List<Map<String, Object>> steps = list(map(schema, "$defs", "endpoint", "properties", "pipeline", "items"), "oneOf");
        Pattern duration = Pattern.compile((String) map(steps.get(2), "properties", "limits", "properties", "requestTimeout")
                .get("pattern"));

        for (String ok : List.of("30s", "250ms", "5m", "1h", "2d", "PT30S", "P1D", "PT1.5S", "P1DT2H")) {
            assertThat(duration.matcher(ok).matches()).as(ok).isTrue();
            ValueTypes.duration(ok);
        }
        for (String bad : List.of("soon", "30", "P", "PT", "P1DT", "-5s", "30 s")) {
            assertThat(duration.matcher(bad).matches()).as(bad).isFalse();
        }
    }

    @Test
    void theSizePatternAcceptsWhatByteSizeParses() {
        Pattern size = Pattern.compile(ValueTypes.SIZE_PATTERN);
        for (String ok : List.of("512", "16KiB", "1MiB", "2GiB", "10kb", "3 MB", "7B")) {
            assertThat(size.matcher(ok).matches()).as(ok).isTrue();
            io.gatehouse.spi.ByteSize.parse(ok);
        }
        for (String bad : List.of("1 megabyte", "16K", "-1", "KiB")) {
            assertThat(size.matcher(bad).matches()).as(bad).isFalse();
        }
    }

    @Test
    void theJsonTextIsTheSchemaPrettyPrinted() {
        String json = generator.json();

        assertThat(json).startsWith("{\n  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n").endsWith("}\n");
        assertThat(new Load(LoadSettings.builder().build()).loadFromString(json)).isEqualTo(schema);
    }

    @Test
    void withoutStepsThePipelineMustBeEmpty() {
        assertThat(map(new SchemaGenerator(Map.of()).schema(), "$defs", "endpoint", "properties", "pipeline"))
                .containsEntry("maxItems", 0).doesNotContainKey("items");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> from, String... keys) {
        Map<String, Object> current = from;
        for (String key : keys) {
            assertThat(current).containsKey(key);
            current = (Map<String, Object>) current.get(key);
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Map<String, Object> from, String key) {
        return (List<Map<String, Object>>) from.get(key);
    }
}
