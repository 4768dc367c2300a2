package io.gatehouse.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.gatehouse.agent.AgentSettings;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.config.LoadResult;
import io.gatehouse.config.YamlFiles;
import io.gatehouse.gateway.GatewayAssembly;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docker/kubernetes, without a cluster: both overlays rendered by kustomize, every object read strictly into the
 * Kubernetes API classes, and what the objects name checked against the gateway itself: its config (mounted from
 * the ConfigMap, loaded by the gateway's own loader), its listeners and admin port, its drain, the agent's config,
 * and the build's versions.
 */
class DeploymentManifestsTest {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path KUBERNETES = ROOT.resolve("docker/kubernetes");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();

    private static Kustomize kustomize;

    @BeforeAll
    static void renderer() {
        Kustomize.Result found = Kustomize.find();
        Assumptions.assumeTrue(found.kustomize() != null, () -> "skipped: " + found.whyNot());
        kustomize = found.kustomize();
    }

    /** One rendered overlay, its objects by kind/namespace/name. */
    record Rendered(String overlay, Map<String, HasMetadata> objects) {

        <T extends HasMetadata> T get(Class<T> type, String kind, String namespace, String name) {
            HasMetadata o = objects.get(kind + " " + namespace + "/" + name);
            assertThat(o).as(overlay + ": " + kind + " " + namespace + "/" + name).isNotNull();
            assertThat(o).isInstanceOf(type);
            return type.cast(o);
        }

        <T extends HasMetadata> List<T> all(Class<T> type) {
            return objects.values().stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    static Rendered render(String overlay) throws IOException {
        String yaml = kustomize.render(KUBERNETES.resolve("overlays").resolve(overlay));
        Map<String, HasMetadata> objects = new LinkedHashMap<>();
        for (JsonNode doc : StrictKubernetes.documents(yaml)) {
            HasMetadata o = StrictKubernetes.read(doc);
            String key = o.getKind() + " " + (o.getMetadata().getNamespace() == null ? "" : o.getMetadata().getNamespace())
                    + "/" + o.getMetadata().getName();
            assertThat(objects.put(key, o)).as(overlay + ": " + key + " twice").isNull();
        }
        return new Rendered(overlay, objects);
    }

    @Test
    void theStrictReaderRefusesAFieldTheApiDoesNotHave() throws IOException {
        JsonNode typo = StrictKubernetes.documents("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: x}
                spec:
                  replica: 2
                  template:
                    spec:
                      containers:
                        - name: c
                          image: i
                          readinessProbe: {httpGet: {paht: /readyz, port: 8081}}
                """).get(0);
        assertThatThrownBy(() -> StrictKubernetes.read(typo)).hasMessageContaining("Deployment /x")
                .hasMessageContaining(".spec.replica").hasMessageContaining(".readinessProbe.httpGet.paht");
        JsonNode noSuchKind = StrictKubernetes.documents("{apiVersion: apps/v1, kind: Deploymnet, metadata: {name: y}}")
                .get(0);
        assertThatThrownBy(() -> StrictKubernetes.read(noSuchKind)).hasMessageContaining("does not exist in apps/v1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cnpg", "external-postgres"})
    void everyObjectIsAKubernetesObjectAndTheGatewayMatchesItsOwnConfig(String overlay, @TempDir Path tmp)
            throws Exception {
        Rendered r = render(overlay);
        assertThat(r.objects().keySet().stream().map(k -> k.substring(0, k.indexOf(' '))).collect(Collectors.toSet()))
                .contains("Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "HorizontalPodAutoscaler",
                        "NetworkPolicy", "ServiceMonitor", "Namespace");

        Deployment gateway = r.get(Deployment.class, "Deployment", "gatehouse", "gatehouse-gateway");
        PodSpec pod = gateway.getSpec().getTemplate().getSpec();
        Container c = single(pod);
        Path configDir = materialise(pod, c, r, "gatehouse", "/etc/gatehouse/config", tmp.resolve("gateway"));
        Map<String, String> env = env(c);
        GatewayAssembly.Loaded loaded = GatewayAssembly.load(configDir, env::get);
        assertThat(loaded.errors()).as(overlay + ": the mounted gateway config is refused").isEmpty();
        GatewayConfig config = loaded.config();

        // Replicas, probes on the admin port, drain matched to the grace period.
        assertThat(gateway.getSpec().getReplicas()).isGreaterThanOrEqualTo(2);
        int adminPort = config.admin().port();
        Set<Integer> listenerPorts = new TreeSet<>();
        config.listeners().values().forEach(l -> listenerPorts.add(l.port()));
        Set<Integer> expected = new TreeSet<>(listenerPorts);
        expected.add(adminPort);
        Set<Integer> opened = c.getPorts().stream().map(ContainerPort::getContainerPort)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(opened).as("container ports = the listeners' ports + the admin port").isEqualTo(expected);
        assertProbe(c, c.getReadinessProbe().getHttpGet(), "/readyz", adminPort);
        assertProbe(c, c.getLivenessProbe().getHttpGet(), "/healthz", adminPort);
        assertThat(AdminPaths.served()).as("paths the gateway's admin routes serve").contains("/readyz", "/healthz",
                "/metrics");
        List<String> preStop = c.getLifecycle().getPreStop().getExec().getCommand();
        assertThat(preStop).hasSize(2).startsWith("sleep");
        long preStopSeconds = Long.parseLong(preStop.get(1));
        Duration drain = config.lifecycle().drainDelay().plus(config.lifecycle().drainTimeout());
        assertThat(pod.getTerminationGracePeriodSeconds())
                .as("terminationGracePeriodSeconds covers preStop (%d s) + drainDelay + drainTimeout (%d s) + 5 s",
                        preStopSeconds, drain.toSeconds())
                .isGreaterThanOrEqualTo(preStopSeconds + drain.toSeconds() + 5);
        assertThat(config.lifecycle().watch()).as("reload.watch: a changed ConfigMap is applied in place").isTrue();
        assertThat(r.get(ConfigMap.class, "ConfigMap", "gatehouse", "gatehouse-gateway-config").getMetadata().getName())
                .as("no hash suffix, so the ConfigMap is updated in place").isEqualTo("gatehouse-gateway-config");

        // Hardening and sizing.
        assertHardened(pod, c);
        assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");

        // The Service, PDB, HPA and ServiceMonitor find the gateway's pods and ports.
        Map<String, String> podLabels = gateway.getSpec().getTemplate().getMetadata().getLabels();
        Service svc = r.get(Service.class, "Service", "gatehouse", "gatehouse-gateway");
        assertThat(podLabels).containsAllEntriesOf(svc.getSpec().getSelector());
        for (ServicePort p : svc.getSpec().getPorts()) {
            assertThat(expected).contains(containerPort(c, p.getTargetPort()));
        }
        PodDisruptionBudget pdb = r.get(PodDisruptionBudget.class, "PodDisruptionBudget", "gatehouse", "gatehouse-gateway");
        assertThat(podLabels).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
        assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isBetween(1, gateway.getSpec().getReplicas() - 1);
        HorizontalPodAutoscaler hpa = r.get(HorizontalPodAutoscaler.class, "HorizontalPodAutoscaler", "gatehouse",
                "gatehouse-gateway");
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo("gatehouse-gateway");
        assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
        assertThat(hpa.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(2);
        ServiceMonitor sm = r.get(ServiceMonitor.class, "ServiceMonitor", "gatehouse", "gatehouse-gateway");
        assertThat(svc.getMetadata().getLabels()).containsAllEntriesOf(sm.getSpec().getSelector().getMatchLabels());
        assertThat(sm.getSpec().getEndpoints()).singleElement().satisfies(e -> {
            assertThat(e.getPath()).isEqualTo("/metrics");
            ServicePort scraped = svc.getSpec().getPorts().stream().filter(p -> p.getName().equals(e.getPort()))
                    .findFirst().orElseThrow(() -> new AssertionError("ServiceMonitor port " + e.getPort()
                            + " is not a port of Service gatehouse-gateway"));
            assertThat(containerPort(c, scraped.getTargetPort())).as("/metrics is on the admin port").isEqualTo(adminPort);
        });

        // The store: one PostgreSQL for every replica, behind the Service name the config uses.
        assertThat(config.store().url()).startsWith("jdbc:postgresql://gatehouse-db-rw:5432/");
        if (overlay.equals("cnpg")) {
            // CloudNativePG serves a Cluster's primary as the Service <cluster>-rw.
            r.get(GenericKubernetesResource.class, "Cluster", "gatehouse", "gatehouse-db");
        } else {
            Service db = r.get(Service.class, "Service", "gatehouse", "gatehouse-db-rw");
            assertThat(db.getSpec().getType()).isEqualTo("ExternalName");
            assertThat(db.getSpec().getPorts()).extracting(ServicePort::getPort).contains(5432);
        }

        checkAgent(r, config, tmp);
        checkImages(r);
        checkKeycloak(r, YAML.readTree(configDir.resolve("gateway.yaml").toFile()));
    }

    @Test
    void theCloudNativePgClusterGivesTheServiceAndSecretTheGatewayUses() throws IOException {
        Rendered r = render("cnpg");
        GenericKubernetesResource cluster = r.get(GenericKubernetesResource.class, "Cluster", "gatehouse", "gatehouse-db");
        assertThat(cluster.getApiVersion()).isEqualTo("postgresql.cnpg.io/v1");
        // No CloudNativePG classes are served: the fields used are checked by name against its API reference.
        JsonNode spec = JSON.valueToTree(cluster.getAdditionalProperties().get("spec"));
        assertThat(names(spec)).isSubsetOf("instances", "primaryUpdateStrategy", "storage", "bootstrap", "monitoring",
                "imageName", "postgresql", "resources");
        assertThat(names(spec.path("bootstrap").path("initdb"))).isSubsetOf("database", "owner", "secret");
        assertThat(spec.path("instances").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(spec.path("bootstrap").path("initdb").path("database").asText()).isEqualTo("gatehouse");
        assertThat(spec.path("bootstrap").path("initdb").path("owner").asText()).isEqualTo("gatehouse");
        // CloudNativePG names them <cluster>-rw and <cluster>-app.
        Deployment gateway = r.get(Deployment.class, "Deployment", "gatehouse", "gatehouse-gateway");
        assertThat(gateway.getSpec().getTemplate().getSpec().getVolumes()).anySatisfy(v ->
                assertThat(v.getSecret() == null ? null : v.getSecret().getSecretName()).isEqualTo("gatehouse-db-app"));
        assertThat(r.objects()).doesNotContainKey("Service gatehouse/gatehouse-db-rw");
        assertThat(r.objects().keySet()).noneMatch(k -> k.startsWith("StatefulSet"));
    }

    private static Set<String> names(JsonNode node) {
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static void checkAgent(Rendered r, GatewayConfig gatewayConfig, Path tmp) throws Exception {
        Deployment agent = r.get(Deployment.class, "Deployment", "models", "gatehouse-agent");
        PodSpec pod = agent.getSpec().getTemplate().getSpec();
        Container c = single(pod);
        assertHardened(pod, c);
        String configArg = c.getArgs().get(c.getArgs().indexOf("--config") + 1);
        Path configDir = materialise(pod, c, r, "models", Path.of(configArg).getParent().toString(), tmp.resolve("agent"));
        Map<String, String> env = env(c);
        LoadResult<AgentSettings> settings = YamlFiles.bind(configDir.resolve(Path.of(configArg).getFileName()),
                AgentSettings.class, env::get);
        assertThat(settings.formattedErrors()).as("the mounted agent.yaml is refused").isEmpty();
        AgentSettings agentSettings = settings.orThrow();
        assertThat(agentSettings.tls()).as("mutual TLS with mounted certificates, not dev certificates").isNotNull();
        int agentPort = agentSettings.listen().port();
        assertThat(c.getPorts()).extracting(ContainerPort::getContainerPort).containsExactly(agentPort);

        // The gateway dials the agent's Service, which leads to the agent's port.
        Service svc = r.get(Service.class, "Service", "models", "gatehouse-agent");
        assertThat(agent.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(svc.getSpec().getSelector());
        var address = gatewayConfig.agents().values().iterator().next().addresses().get(0);
        assertThat(address.host()).isEqualTo("gatehouse-agent.models.svc");
        ServicePort sp = svc.getSpec().getPorts().stream().filter(p -> p.getPort() == address.port()).findFirst()
                .orElseThrow(() -> new AssertionError("Service gatehouse-agent has no port " + address.port()));
        assertThat(containerPort(c, sp.getTargetPort())).isEqualTo(agentPort);

        // Every model service the agent calls is a Service in its namespace, on a port the model pods open, and
        // the model's NetworkPolicy admits the agent's pods alone.
        Map<String, String> agentLabels = agent.getSpec().getTemplate().getMetadata().getLabels();
        NetworkPolicy modelPolicy = r.get(NetworkPolicy.class, "NetworkPolicy", "models", "model-ingress");
        for (var service : agentSettings.services().values()) {
            String host = service.url().getHost();
            assertThat(host).endsWith(".models.svc");
            Service modelSvc = r.get(Service.class, "Service", "models", host.substring(0, host.indexOf('.')));
            Deployment model = r.all(Deployment.class).stream()
                    .filter(d -> d.getSpec().getTemplate().getMetadata().getLabels().entrySet()
                            .containsAll(modelSvc.getSpec().getSelector().entrySet()))
                    .findFirst().orElseThrow();
            Map<String, String> modelLabels = model.getSpec().getTemplate().getMetadata().getLabels();
            assertThat(modelLabels).as("the model's pods are covered by model-ingress")
                    .containsAllEntriesOf(modelPolicy.getSpec().getPodSelector().getMatchLabels());
            assertThat(modelPolicy.getSpec().getPolicyTypes()).contains("Ingress");
            List<NetworkPolicyPeer> peers = modelPolicy.getSpec().getIngress().stream()
                    .flatMap(i -> i.getFrom().stream()).toList();
            assertThat(peers).as("only the agent reaches the model").singleElement().satisfies(p -> {
                assertThat(p.getNamespaceSelector()).isNull();
                assertThat(p.getIpBlock()).isNull();
                assertThat(agentLabels).containsAllEntriesOf(p.getPodSelector().getMatchLabels());
            });
            for (Deployment other : r.all(Deployment.class)) {
                if (other != agent && other.getMetadata().getNamespace().equals("models")) {
                    assertThat(other.getSpec().getTemplate().getMetadata().getLabels())
                            .as(other.getMetadata().getName() + " must not match the agent's selector")
                            .isNotEqualTo(null)
                            .matches(labels -> !labels.entrySet().containsAll(
                                    peers.get(0).getPodSelector().getMatchLabels().entrySet()));
                }
            }
            int modelPort = service.url().getPort();
            ServicePort msp = modelSvc.getSpec().getPorts().stream().filter(p -> p.getPort() == modelPort).findFirst()
                    .orElseThrow(() -> new AssertionError(host + " has no port " + modelPort));
            assertThat(modelPolicy.getSpec().getIngress().get(0).getPorts())
                    .anySatisfy(p -> assertThat(p.getPort().getIntVal()).isEqualTo(containerPort(single(model.getSpec()
                            .getTemplate().getSpec()), msp.getTargetPort())));
        }
        // Only the gateway's pods reach the agent.
        NetworkPolicy agentPolicy = r.get(NetworkPolicy.class, "NetworkPolicy", "models", "gatehouse-agent");
        assertThat(agentLabels).containsAllEntriesOf(agentPolicy.getSpec().getPodSelector().getMatchLabels());
        Map<String, String> gatewayLabels = r.get(Deployment.class, "Deployment", "gatehouse", "gatehouse-gateway")
                .getSpec().getTemplate().getMetadata().getLabels();
        assertThat(agentPolicy.getSpec().getIngress()).singleElement().satisfies(i -> {
            assertThat(i.getFrom()).singleElement().satisfies(p -> {
                assertThat(p.getNamespaceSelector().getMatchLabels())
                        .containsEntry("kubernetes.io/metadata.name", "gatehouse");
                assertThat(gatewayLabels).containsAllEntriesOf(p.getPodSelector().getMatchLabels());
            });
            assertThat(i.getPorts()).extracting(p -> p.getPort().getIntVal()).containsExactly(agentPort);
        });
    }

    private static void checkImages(Rendered r) throws Exception {
        String version = System.getProperty("gatehouse.version");
        String keycloak = keycloakVersion();
        assertThat(version).as("surefire passes the build's version").isNotBlank();
        for (Deployment d : r.all(Deployment.class)) {
            for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
                String image = c.getImage();
                String name = image.substring(0, image.lastIndexOf(':'));
                String tag = image.substring(image.lastIndexOf(':') + 1);
                if (name.startsWith("gatehouse")) {
                    assertThat(name).isIn("gatehouse", "gatehouse-sample-model");
                    assertThat(tag).as(d.getMetadata().getName() + ": the build's version").isEqualTo(version);
                } else {
                    assertThat(name).as(d.getMetadata().getName()).isEqualTo("quay.io/keycloak/keycloak");
                    assertThat(tag).as("the Keycloak the integration tests run").isEqualTo(keycloak);
                }
            }
        }
    }

    private static void checkKeycloak(Rendered r, JsonNode gatewayYaml) throws Exception {
        ConfigMap realm = r.all(ConfigMap.class).stream().filter(m -> m.getMetadata().getName().startsWith("keycloak-realm"))
                .findFirst().orElseThrow(() -> new AssertionError("no keycloak-realm ConfigMap"));
        String current = Files.readString(ROOT.resolve("config/keycloak/gatehouse-realm.json"), StandardCharsets.UTF_8);
        assertThat(realm.getData().get("gatehouse-realm.json"))
                .as("the realm imported on Kubernetes is the one the integration tests use: copy "
                        + "config/keycloak/gatehouse-realm.json to docker/kubernetes/components/keycloak-sample/")
                .isEqualTo(current);
        Deployment kc = r.get(Deployment.class, "Deployment", "gatehouse", "keycloak");
        Container c = single(kc.getSpec().getTemplate().getSpec());
        assertThat(c.getArgs()).contains("--import-realm");
        String realmName = JSON.readTree(current).path("realm").asText();
        VolumeMount mount = c.getVolumeMounts().stream().filter(m -> m.getMountPath().startsWith("/opt/keycloak/data/import/"))
                .findFirst().orElseThrow();
        assertThat(mount.getMountPath()).as("Keycloak 26.5.6 imports <realm>-realm.json only")
                .isEqualTo("/opt/keycloak/data/import/" + realmName + "-realm.json");
        String hostname = c.getEnv().stream().filter(e -> e.getName().equals("KC_HOSTNAME")).findFirst().orElseThrow()
                .getValue();
        Service svc = r.get(Service.class, "Service", "gatehouse", "keycloak");
        assertThat(hostname).isEqualTo("http://keycloak.gatehouse.svc:" + svc.getSpec().getPorts().get(0).getPort());
        List<String> issuers = new ArrayList<>();
        gatewayYaml.path("identity").path("providers").forEach(p -> issuers.add(p.path("issuer").asText()));
        assertThat(issuers).as("the gateway trusts the sample realm's issuer").contains(hostname + "/realms/" + realmName);
    }

    private static String keycloakVersion() throws Exception {
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(ROOT.resolve("integration-tests/pom.xml").toFile());
        return doc.getElementsByTagName("keycloak.version").item(0).getTextContent().strip();
    }

    private static void assertProbe(Container c, HTTPGetAction get, String path, int adminPort) {
        assertThat(get).as(path + " probe").isNotNull();
        assertThat(get.getPath()).isEqualTo(path);
        assertThat(containerPort(c, get.getPort())).as(path + " on the admin port").isEqualTo(adminPort);
    }

    static void assertHardened(PodSpec pod, Container c) {
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).as("the image's user").isEqualTo(10001L);
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).contains("ALL");
        assertThat(c.getVolumeMounts()).as("a writable /tmp for the JVM and Netty's native library")
                .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(c.getResources().getLimits()).containsKey("memory");
    }

    static Container single(PodSpec pod) {
        assertThat(pod.getContainers()).hasSize(1);
        return pod.getContainers().get(0);
    }

    static int containerPort(Container c, IntOrString port) {
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        return c.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named " + port.getStrVal())).getContainerPort();
    }

    static Map<String, String> env(Container c) {
        Map<String, String> env = new HashMap<>();
        for (EnvVar e : c.getEnv()) {
            env.put(e.getName(), e.getValue() != null ? e.getValue() : "from-" + e.getName());
        }
        return env;
    }

    /**
     * Lays out what the container sees under {@code tmp}: the config folder from its ConfigMap volume (every key
     * mapped, none left out), and for every {@code file:} reference and certificate path in the config, a file in
     * a Secret volume that holds that key. Returns the config folder.
     */
    static Path materialise(PodSpec pod, Container c, Rendered r, String namespace, String configMount, Path tmp)
            throws IOException {
        Map<String, Volume> volumes = pod.getVolumes().stream().collect(Collectors.toMap(Volume::getName, v -> v));
        VolumeMount configVolumeMount = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(configMount))
                .findFirst().orElseThrow(() -> new AssertionError("nothing mounted at " + configMount));
        Volume configVolume = volumes.get(configVolumeMount.getName());
        ConfigMap map = r.get(ConfigMap.class, "ConfigMap", namespace, configVolume.getConfigMap().getName());
        Path configDir = inside(tmp, configMount);
        Files.createDirectories(configDir);
        Map<String, String> keyToPath = new LinkedHashMap<>();
        if (configVolume.getConfigMap().getItems() == null || configVolume.getConfigMap().getItems().isEmpty()) {
            map.getData().keySet().forEach(k -> keyToPath.put(k, k));
        } else {
            for (KeyToPath item : configVolume.getConfigMap().getItems()) {
                assertThat(map.getData()).as("ConfigMap " + map.getMetadata().getName()).containsKey(item.getKey());
                keyToPath.put(item.getKey(), item.getPath());
            }
            assertThat(keyToPath.keySet()).as("every key of ConfigMap " + map.getMetadata().getName()
                    + " is mounted (a key without an item would silently be left out)")
                    .containsExactlyInAnyOrderElementsOf(map.getData().keySet());
        }
        List<String> references = new ArrayList<>();
        for (Map.Entry<String, String> e : keyToPath.entrySet()) {
            Path file = configDir.resolve(e.getValue());
            Files.createDirectories(file.getParent());
            Files.writeString(file, map.getData().get(e.getKey()), StandardCharsets.UTF_8);
            collectFileReferences(YAML.readTree(map.getData().get(e.getKey())), references);
        }
        for (String reference : references) {
            Path inContainer = Path.of(configMount).resolve(reference).normalize();
            VolumeMount secretMount = c.getVolumeMounts().stream()
                    .filter(m -> inContainer.startsWith(m.getMountPath())).findFirst()
                    .orElseThrow(() -> new AssertionError(reference + " (" + inContainer + ") is in no mounted volume"));
            Volume v = volumes.get(secretMount.getName());
            assertThat(v.getSecret()).as(inContainer + " comes from a Secret volume").isNotNull();
            String key = Path.of(secretMount.getMountPath()).relativize(inContainer).toString();
            if (v.getSecret().getItems() != null && !v.getSecret().getItems().isEmpty()) {
                assertThat(v.getSecret().getItems()).as("Secret " + v.getSecret().getSecretName() + " maps " + key)
                        .anySatisfy(i -> assertThat(i.getPath()).isEqualTo(key));
            }
            Path file = inside(tmp, inContainer.toString());
            Files.createDirectories(file.getParent());
            Files.writeString(file, "secret-of-the-test\n");
        }
        return configDir;
    }

    private static final Set<String> PATH_KEYS = Set.of("certificate", "privateKey", "trustedCa", "clientCa");

    private static void collectFileReferences(JsonNode node, List<String> into) {
        if (node.isObject()) {
            node.fields().forEachRemaining(f -> {
                if (PATH_KEYS.contains(f.getKey()) && f.getValue().isTextual()) {
                    into.add(f.getValue().asText());
                } else {
                    collectFileReferences(f.getValue(), into);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collectFileReferences(n, into));
        } else if (node.isTextual() && node.asText().startsWith("file:")) {
            into.add(node.asText().substring(5));
        }
    }

    private static Path inside(Path tmp, String absolute) {
        return tmp.resolve(absolute.replaceFirst("^/+", ""));
    }
}
