package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gateway.yaml's agent tunnel and the ways several agents serve one name. */
class AgentLinksConfigTest {

    @TempDir
    Path root;

    @Test
    void anAgentTunnelTakesItsDefaultsAndAgentsNameTheIdentitiesThatDialIn() {
        ConfigDir dir = new ConfigDir(root).write("gateway.yaml", """
                listeners: {http: {port: 8080}}
                agentTunnel: {}
                agents:
                  local:
                    address: 127.0.0.1:7443
                    addresses: ["10.0.0.2:7443"]
                    identities: [agent-a, agent-b]
                """).write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));

        GatewayConfig config = dir.load().orThrow();

        assertThat(config.agentTunnel()).isEqualTo(new AgentTunnelConfig("127.0.0.1", 7444, null, Duration.ofSeconds(10)));
        AgentConnectionConfig local = config.agents().get("local");
        assertThat(local.addresses()).extracting(Object::toString).containsExactly("127.0.0.1:7443", "10.0.0.2:7443");
        assertThat(local.identities()).containsExactly("agent-a", "agent-b");
    }

    @Test
    void anAgentServedOnlyByDiallingAgentsNeedsNoAddress() {
        ConfigDir dir = new ConfigDir(root).write("gateway.yaml", """
                listeners: {http: {port: 8080}}
                agentTunnel: {port: 0, slotWait: 2s}
                agents:
                  local: {identities: [agent-a]}
                """).write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));

        GatewayConfig config = dir.load().orThrow();

        assertThat(config.agents().get("local").addresses()).isEmpty();
        assertThat(config.agentTunnel().slotWait()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void identitiesWithoutAnAgentTunnelAreAnErrorThatSaysWhatToAdd() {
        ConfigDir dir = new ConfigDir(root).write("gateway.yaml", """
                listeners: {http: {port: 8080}}
                agents:
                  local: {identities: [agent-a]}
                """).write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));

        List<String> errors = dir.errors();

        assertThat(errors).singleElement().asString().contains("agentTunnel").contains("is required when agents.local"
                + ".identities is set");
    }

    @Test
    void oneIdentityPinnedToTwoAgentsIsAnError() {
        ConfigDir dir = new ConfigDir(root).write("gateway.yaml", """
                listeners: {http: {port: 8080}}
                agentTunnel: {}
                agents:
                  local: {identities: [agent-a]}
                  other: {identities: [agent-a]}
                """).write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));

        assertThat(dir.errors()).singleElement().asString()
                .contains("identity 'agent-a' is pinned to both agent 'local' and agent 'other'");
    }

    @Test
    void anAgentWithNeitherAddressNorIdentitiesIsAnError() {
        ConfigDir dir = new ConfigDir(root).write("gateway.yaml", """
                listeners: {http: {port: 8080}}
                agents:
                  local: {}
                """).write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));

        assertThat(dir.errors()).singleElement().asString().contains("agent 'local'").contains("address")
                .contains("identities");
    }
}
