package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.GatewayConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The example configs that trust identity providers load with the real auth step and its identity section. */
class IdentityExampleConfigsTest {

    @Test
    void theKeycloakExampleIsValidAndTrustsTheLocalKeycloakRealm() {
        GatewayAssembly.Loaded loaded = GatewayAssembly.load(Path.of("../config/examples/keycloak"), name -> null);

        assertThat(loaded.errors()).isEmpty();
        GatewayConfig config = loaded.config();
        assertThat(config.section("identity").orElseThrow().toString())
                .contains("issuer=http://127.0.0.1:8180/realms/gatehouse", "audiences=[gatehouse]", "ml-leads");
    }

    @Test
    void theDockerExampleIsValidBindsEveryInterfaceAndTrustsTheComposeKeycloak() {
        GatewayAssembly.Loaded loaded = GatewayAssembly.load(Path.of("../config/examples/docker"),
                name -> name.equals("GATEHOUSE_DB_PASSWORD") ? "compose-db-password" : null);

        assertThat(loaded.errors()).isEmpty();
        assertThat(loaded.config().listeners().get("http").host()).isEqualTo("0.0.0.0");
        assertThat(loaded.config().admin().host()).isEqualTo("0.0.0.0");
        assertThat(loaded.config().section("identity").orElseThrow().toString())
                .contains("issuer=http://localhost:8180/realms/gatehouse", "audiences=[gatehouse]");
    }

    @Test
    void theDemoExampleTrustsTheDevIssuerThroughDiscovery() {
        GatewayAssembly.Loaded loaded = GatewayAssembly.load(Path.of("../config/examples/demo"), name -> null);

        assertThat(loaded.errors()).isEmpty();
        assertThat(loaded.config().section("identity").orElseThrow().toString())
                .contains("issuer=http://127.0.0.1:8090", "jwksUri=null");
    }

    @Test
    void aStepNamingAProviderGatewayYamlLacksIsReportedWithItsPosition() throws Exception {
        Path dir = java.nio.file.Files.createTempDirectory("gatehouse-identity-config");
        java.nio.file.Files.writeString(dir.resolve("gateway.yaml"), "listeners:\n  http: {port: 0}\nagents:\n"
                + "  local: {address: 127.0.0.1:7443}\nidentity:\n  providers:\n    kc:\n"
                + "      issuer: http://127.0.0.1:8180/realms/gatehouse\n      audiences: [gatehouse]\n");
        java.nio.file.Files.createDirectories(dir.resolve("endpoints"));
        java.nio.file.Files.writeString(dir.resolve("endpoints/chat.yaml"), "id: chat\npath: /v1\nprotocol: openai\n"
                + "target: {agent: local, service: m}\npipeline:\n  - auth: {providers: [okta]}\n");

        assertThat(GatewayAssembly.load(dir, name -> null).errors()).containsExactly("endpoints/chat.yaml:6:5:"
                + " endpoint 'chat' step 'auth' field 'providers': unknown identity provider 'okta' (known: kc)");
    }

    @Test
    void aProviderWithoutAudienceIsRefusedAtLoadNamingTheField() throws Exception {
        Path dir = java.nio.file.Files.createTempDirectory("gatehouse-identity-config");
        java.nio.file.Files.writeString(dir.resolve("gateway.yaml"), "listeners:\n  http: {port: 0}\nagents:\n"
                + "  local: {address: 127.0.0.1:7443}\nidentity:\n  providers:\n    kc:\n"
                + "      issuer: http://127.0.0.1:8180/realms/gatehouse\n");
        java.nio.file.Files.createDirectories(dir.resolve("endpoints"));
        java.nio.file.Files.writeString(dir.resolve("endpoints/chat.yaml"), "id: chat\npath: /v1\nprotocol: openai\n"
                + "target: {agent: local, service: m}\npipeline:\n  - auth:\n");

        assertThat(GatewayAssembly.load(dir, name -> null).errors()).containsExactly("gateway.yaml:8:7: field"
                + " 'identity.providers.kc.audiences': must name at least one audience: the aud value the provider"
                + " puts in tokens meant for this gateway (Keycloak: an audience mapper), e.g. audiences: [gatehouse]");
    }
}
