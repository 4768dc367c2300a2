package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Top-level sections of gateway.yaml owned by processor factories (identity: …), bound like steps. */
class GatewaySectionsTest {

    @TempDir
    Path temp;

    ConfigDir dir;

    @BeforeEach
    void validGatewayYaml() {
        dir = new ConfigDir(temp);
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));
    }

    private LoadResult<GatewayConfig> load() {
        return new ConfigLoader(TestSteps.CATALOGUE, TestSteps.SECTIONS, name -> null).load(temp);
    }

    @Test
    void aFactoryOwnedSectionIsBoundToItsRecordBesideTheGatewaysOwnKeys() {
        dir.write("gateway.yaml", ConfigDir.GATEWAY + """
                identity:
                  providers:
                    kc:
                      issuer: http://127.0.0.1:8180/realms/gatehouse
                      audiences: [gatehouse]
                      clockSkew: 10s
                  cacheSize: 5
                """);

        GatewayConfig config = load().orThrow();

        assertThat(config.section("identity")).contains(new TestSteps.IdentitySection(Map.of("kc",
                new TestSteps.IdentitySection.Provider("http://127.0.0.1:8180/realms/gatehouse", List.of("gatehouse"),
                        Duration.ofSeconds(10))), 5));
        assertThat(config.listeners()).containsKey("http");
    }

    @Test
    void anAbsentOrEmptySectionBindsAsAnEmptyMap() {
        assertThat(load().orThrow().section("identity")).contains(new TestSteps.IdentitySection(null, null));

        dir.write("gateway.yaml", ConfigDir.GATEWAY + "identity:\n");
        assertThat(load().orThrow().section("identity")).contains(new TestSteps.IdentitySection(null, null));
    }

    @Test
    void errorsInASectionNameTheFieldByItsPathWithFileLineAndColumn() {
        dir.write("gateway.yaml", ConfigDir.GATEWAY + """
                identity:
                  providers:
                    kc:
                      audiences: [gatehouse]
                    other:
                      issuer: x
                      isuer: y
                      clockSkew: soon
                """);

        assertThat(load().formattedErrors()).containsExactly(
                "gateway.yaml:10:7: field 'identity.providers.kc.issuer': is required",
                "gateway.yaml:13:7: field 'identity.providers.other': unknown key 'isuer' (accepted: issuer, audiences,"
                        + " clockSkew)",
                "gateway.yaml:14:18: field 'identity.providers.other.clockSkew': value 'soon' (expected: a duration"
                        + " like 30s, 5m, 250ms)");
    }

    @Test
    void withoutTheOwningFactoryTheSectionIsAnUnknownKey() {
        dir.write("gateway.yaml", ConfigDir.GATEWAY + "identity: {}\n");

        assertThat(dir.errors()).containsExactly("gateway.yaml:7:1: unknown key 'identity' (accepted: listeners,"
                + " admin, agents, dataDirectory, plugins, store, reload, shutdown, agentTunnel, tracing)");
    }

    @Test
    void aFactoryMayNotClaimOneOfTheGatewaysOwnKeys() {
        assertThat(ConfigLoader.gatewayKeys()).containsExactlyInAnyOrder("listeners", "admin", "agents",
                "dataDirectory", "plugins", "store", "reload", "shutdown", "agentTunnel", "tracing");
        assertThatThrownBy(() -> new ConfigLoader(Map.of(), Map.of("agents", TestSteps.IdentitySection.class),
                name -> null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("gateway.yaml section 'agents' is one of gateway.yaml's own keys");
    }

    @Test
    void theSchemaDescribesSectionsUnderTheGatewayDefinition() {
        Map<String, Object> schema = new SchemaGenerator(TestSteps.CATALOGUE, TestSteps.SECTIONS).schema();

        @SuppressWarnings("unchecked")
        Map<String, Object> identity = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>)
                ((Map<String, Object>) schema.get("$defs")).get("gateway")).get("properties")).get("identity");
        assertThat(identity).containsEntry("type", List.of("object", "null")).containsEntry("additionalProperties", false);
        assertThat(new java.util.TreeSet<Object>(((Map<?, ?>) identity.get("properties")).keySet()))
                .containsExactly("cacheSize", "providers");
    }
}
