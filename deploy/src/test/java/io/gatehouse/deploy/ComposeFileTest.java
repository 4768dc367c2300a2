package io.gatehouse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.agent.AgentSettings;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.config.LoadResult;
import io.gatehouse.config.YamlFiles;
import io.gatehouse.gateway.GatewayAssembly;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker/compose.yaml and docker/Dockerfile, read: the services, the ports they publish, their health checks and
 * start order, and the config they mount, loaded by the gateway's and the agent's own loaders.
 */
class ComposeFileTest {

    static final Path DOCKER = DeploymentManifestsTest.ROOT.resolve("docker");
    private static Map<String, Object> compose;
    private static Map<String, Map<String, Object>> services;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void read() throws Exception {
        compose = new Yaml().load(Files.readString(DOCKER.resolve("compose.yaml")));   // resolves anchors and <<:
        services = (Map<String, Map<String, Object>>) compose.get("services");
    }

    @Test
    void theStackIsGatewayAgentModelKeycloakAndPostgresInOnePod() {
        assertThat(services.keySet()).containsExactlyInAnyOrder("pod", "gateway", "agent", "model", "keycloak",
                "postgres");
        services.forEach((name, s) -> {
            if (!name.equals("pod")) {
                assertThat(s.get("network_mode")).as(name).isEqualTo("service:pod");
                assertThat(s).as(name + " publishes nothing itself").doesNotContainKey("ports");
            }
        });
    }

    @Test
    void theMountedGatewayConfigValidatesAndItsPortsArePublished() throws Exception {
        Map<String, Object> gateway = services.get("gateway");
        assertThat(list(gateway, "command")).containsExactly("serve", "--config", "/etc/gatehouse");
        Path configDir = hostPath(gateway, "/etc/gatehouse");
        Map<String, String> env = environment(gateway);
        GatewayAssembly.Loaded loaded = GatewayAssembly.load(configDir, env::get);
        assertThat(loaded.errors()).as("the config compose mounts into the gateway").isEmpty();
        GatewayConfig config = loaded.config();

        List<Integer> published = publishedPorts();
        config.listeners().values().forEach(l -> {
            assertThat(l.host()).as("published ports reach the container's interface").isEqualTo("0.0.0.0");
            assertThat(published).contains(l.port());
        });
        assertThat(config.admin().host()).isEqualTo("0.0.0.0");
        assertThat(published).as("the admin port: /healthz, /readyz, /metrics").contains(config.admin().port());
        assertThat(published).as("only the agent reaches the model; the store stays inside")
                .doesNotContain(8000, 8001, 5432, 7443);

        // The store is the postgres service, with its database, user and password.
        Map<String, String> pg = environment(services.get("postgres"));
        URI url = URI.create(config.store().url().substring("jdbc:".length()));
        assertThat(url.getScheme()).isEqualTo("postgresql");
        assertThat(url.getHost()).isEqualTo("127.0.0.1");
        assertThat(url.getPort()).isEqualTo(5432);
        assertThat(url.getPath()).isEqualTo("/" + pg.get("POSTGRES_DB"));
        assertThat(config.store().username()).isEqualTo(pg.get("POSTGRES_USER"));
        assertThat(config.store().password().reveal()).isEqualTo(pg.get("POSTGRES_PASSWORD"));

        // The agent compose starts answers at the gateway's agent address.
        Map<String, Object> agent = services.get("agent");
        List<String> agentCommand = list(agent, "command");
        assertThat(agentCommand).startsWith("agent", "--config");
        Path agentFile = hostPath(agent, Path.of(agentCommand.get(2)).getParent().toString())
                .resolve(Path.of(agentCommand.get(2)).getFileName());
        LoadResult<AgentSettings> settings = YamlFiles.bind(agentFile, AgentSettings.class, environment(agent)::get);
        assertThat(settings.formattedErrors()).as("the agent.yaml compose mounts").isEmpty();
        var address = config.agents().values().iterator().next().addresses().get(0);
        assertThat(address.port()).isEqualTo(settings.orThrow().listen().port());

        // The agent's model is the model service, on the port it is started with.
        List<String> modelCommand = list(services.get("model"), "command");
        int modelPort = Integer.parseInt(modelCommand.get(modelCommand.indexOf("--port") + 1));
        assertThat(settings.orThrow().services().values()).anySatisfy(s -> {
            assertThat(s.url().getHost()).isEqualTo("127.0.0.1");
            assertThat(s.url().getPort()).isEqualTo(modelPort);
        });

        // Keycloak's fixed front-end URL is the issuer the gateway trusts, and the realm files are imported.
        Map<String, Object> keycloak = services.get("keycloak");
        String hostname = environment(keycloak).get("KC_HOSTNAME");
        assertThat(Files.readString(configDir.resolve("gateway.yaml"))).contains("issuer: " + hostname + "/realms/gatehouse");
        assertThat(list(keycloak, "command")).contains("--import-realm");
        assertThat(hostPath(keycloak, "/opt/keycloak/data/import")).isEqualTo(DeploymentManifestsTest.ROOT
                .resolve("config/keycloak"));
        assertThat(published).contains(Integer.parseInt(hostname.substring(hostname.lastIndexOf(':') + 1)));
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyServiceIsHealthCheckedAndStartsAfterWhatItNeeds() throws Exception {
        for (String name : List.of("model", "keycloak", "postgres")) {
            Map<String, Object> health = (Map<String, Object>) services.get(name).get("healthcheck");
            assertThat(health).as(name + " has a health check").isNotNull().doesNotContainKey("disable");
            assertThat(list(health, "test")).as(name).isNotEmpty();
        }
        // The gateway's is the image's HEALTHCHECK, on the admin port of the mounted config.
        assertThat(services.get("gateway")).doesNotContainKey("healthcheck");
        int adminPort = GatewayAssembly.load(hostPath(services.get("gateway"), "/etc/gatehouse"),
                environment(services.get("gateway"))::get).config().admin().port();
        assertThat(dockerfile()).containsPattern("HEALTHCHECK [^\\n]*\\\\\\n\\s*CMD curl -fsS -o /dev/null http://127.0.0.1:"
                + adminPort + "/healthz");
        Map<String, Object> gatewayDeps = (Map<String, Object>) services.get("gateway").get("depends_on");
        assertThat(((Map<String, Object>) gatewayDeps.get("keycloak")).get("condition")).isEqualTo("service_healthy");
        assertThat(((Map<String, Object>) gatewayDeps.get("postgres")).get("condition")).isEqualTo("service_healthy");
        Map<String, Object> agentDeps = (Map<String, Object>) services.get("agent").get("depends_on");
        assertThat(((Map<String, Object>) agentDeps.get("model")).get("condition")).isEqualTo("service_healthy");
    }

    @Test
    void theDockerfileIsMultiStageNonRootOnTheBuildsJavaAndKeycloakIsTheTestedOne() throws Exception {
        String dockerfile = dockerfile();
        Matcher from = Pattern.compile("(?m)^FROM (\\S+) AS (\\S+)$").matcher(dockerfile);
        Map<String, String> stages = new HashMap<>();
        while (from.find()) {
            stages.put(from.group(2), from.group(1));
        }
        assertThat(stages).containsKeys("build", "gateway", "sample-model");
        String release = System.getProperty("gatehouse.java.release");
        assertThat(stages.get("gateway")).as("the runtime's Java is the build's").isEqualTo("eclipse-temurin:" + release + "-jre");
        assertThat(stages.get("sample-model")).isEqualTo("eclipse-temurin:" + release + "-jre");
        assertThat(stages.get("build")).contains("eclipse-temurin-" + release);
        List<String> users = new ArrayList<>();
        Matcher user = Pattern.compile("(?m)^USER (\\S+)$").matcher(dockerfile);
        while (user.find()) {
            users.add(user.group(1));
        }
        assertThat(users).as("every runtime stage runs as uid 10001").containsExactly("10001:10001", "10001:10001");
        assertThat(dockerfile).as("the default target is the gateway's").containsPattern("FROM eclipse-temurin:\\S+ AS gateway(?s).*"
                + "ENTRYPOINT \\[\"java\"[^\\n]*io.gatehouse.cli.GatehouseCommand\"\\]\\s*\\nCMD \\[\"serve\"");
        String keycloakImage = (String) services.get("keycloak").get("image");
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(DeploymentManifestsTest.ROOT.resolve("integration-tests/pom.xml").toFile());
        assertThat(keycloakImage).isEqualTo("quay.io/keycloak/keycloak:"
                + doc.getElementsByTagName("keycloak.version").item(0).getTextContent().strip());
    }

    private static String dockerfile() throws Exception {
        return Files.readString(DOCKER.resolve("Dockerfile"));
    }

    @SuppressWarnings("unchecked")
    private static List<Integer> publishedPorts() {
        List<Integer> ports = new ArrayList<>();
        for (Object p : (List<Object>) services.get("pod").get("ports")) {
            String[] parts = p.toString().split(":");
            assertThat(parts[0]).as("published as host:container, the same number").isEqualTo(parts[1]);
            ports.add(Integer.parseInt(parts[1]));
        }
        return ports;
    }

    /** The host folder a service mounts at {@code target}, resolved against docker/ as compose does. */
    @SuppressWarnings("unchecked")
    static Path hostPath(Map<String, Object> service, String target) {
        for (Object v : (List<Object>) service.get("volumes")) {
            String[] parts = v.toString().split(":");
            if (parts[1].equals(target)) {
                Path host = DOCKER.resolve(parts[0]).normalize();
                assertThat(host).as(v.toString()).exists();
                return host;
            }
        }
        throw new AssertionError("nothing is mounted at " + target);
    }

    /** A service's environment, with compose's ${VAR:?...} interpolations standing for a value from .env. */
    @SuppressWarnings("unchecked")
    static Map<String, String> environment(Map<String, Object> service) {
        Map<String, String> env = new HashMap<>();
        Object raw = service.get("environment");
        if (raw instanceof Map<?, ?> map) {
            map.forEach((k, v) -> env.put(k.toString(), String.valueOf(v)));
        }
        return env;
    }

    @SuppressWarnings("unchecked")
    private static List<String> list(Map<String, Object> map, String key) {
        return ((List<Object>) map.get(key)).stream().map(String::valueOf).toList();
    }
}
