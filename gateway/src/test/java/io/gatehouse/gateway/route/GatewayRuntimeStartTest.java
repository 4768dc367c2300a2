package io.gatehouse.gateway.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.config.LoadResult;
import io.gatehouse.gateway.plugin.ProcessorRegistry;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;
import io.gatehouse.spi.audit.AuditLog;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What starting and checking a gateway does with its processors: each is created once, against the
 * services the gateway opened once, and closed once; a refusal closes everything again.
 */
class GatewayRuntimeStartTest {

    @TempDir
    Path temp;

    /** The config record of the counting step: {@code - counting: {refuse: true}}. */
    public record CountingConfig(Boolean refuse) {
    }

    /** A step that notes each processor created and closed, and whether it was given an audit log. */
    static final class CountingFactory implements ProcessorFactory<CountingConfig> {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public String id() {
            return "counting";
        }

        @Override
        public Class<CountingConfig> configType() {
            return CountingConfig.class;
        }

        @Override
        public Phase phase() {
            return Phase.OBSERVE;
        }

        @Override
        public GatewayProcessor create(CountingConfig config, EndpointContext endpoint) {
            if (Boolean.TRUE.equals(config.refuse())) {
                throw new ConfigException("refuse", "refused for this test");
            }
            String audit = endpoint.services().find(AuditLog.class).isPresent() ? "with audit log" : "without";
            events.add("create " + endpoint.endpointId() + " " + audit);
            return new GatewayProcessor() {
                @Override
                public void close() {
                    events.add("close " + endpoint.endpointId());
                }
            };
        }
    }

    private final CountingFactory counting = new CountingFactory();
    private final ProcessorRegistry registry = ProcessorRegistry.of(List.of(counting));

    @Test
    void startingCreatesEachEndpointsProcessorsOnceAndClosingClosesThemOnce() throws Exception {
        GatewayConfig config = config(false);

        try (GatewayRuntime gateway = GatewayRuntime.start(config, registry)) {
            assertThat(gateway.port("http")).isPositive();
            assertThat(counting.events).containsExactly("create a with audit log", "create b with audit log");
        }

        assertThat(counting.events).containsExactly("create a with audit log", "create b with audit log",
                "close a", "close b");
        assertThat(storeFileIsFree()).as("the services were closed").isTrue();
    }

    @Test
    void aRefusalAtStartIsReportedLikeConfigValidateAndEverythingOpenedIsClosedAgain() throws Exception {
        GatewayConfig config = config(true);

        assertThatThrownBy(() -> GatewayRuntime.start(config, registry))
                .isInstanceOf(GatewayRuntime.ProcessorCreationException.class)
                .satisfies(e -> assertThat(((GatewayRuntime.ProcessorCreationException) e).errors()).containsExactly(
                        "endpoints/b.yaml:6:5: endpoint 'b' step 'counting' field 'refuse': refused for this test"));

        assertThat(counting.events).containsExactly("create a with audit log", "close a");
        assertThat(storeFileIsFree()).as("the store opened for the start was closed again").isTrue();
    }

    @Test
    void checkingAConfigCreatesAndClosesEachProcessorWithoutOpeningTheStore() throws Exception {
        GatewayRuntime.checkProcessors(config(false), registry);

        assertThat(counting.events).containsExactly("create a with audit log", "create b with audit log",
                "close a", "close b");
        assertThat(temp.resolve("data").resolve("store")).doesNotExist();
    }

    @Test
    void theAgentsStatusNamesEachAgentListeningOrDialOutAndSaysWhichTakeCallsNow() throws Exception {
        GatewayConfig config = config(false, """
                agentTunnel: {host: 127.0.0.1, port: 0}
                agents:
                  local: {address: 127.0.0.1:1}
                  remote: {identities: [agent-r]}
                """);

        try (GatewayRuntime gateway = GatewayRuntime.start(config, registry)) {
            com.fasterxml.jackson.databind.JsonNode agents = gateway.agentStatus();

            assertThat(agents).hasSize(2);
            com.fasterxml.jackson.databind.JsonNode local = agents.get(0);
            assertThat(local.path("name").asText()).isEqualTo("local");
            assertThat(local.path("connected").asInt()).isZero();
            assertThat(local.path("known").asInt()).isEqualTo(1);
            assertThat(local.path("members").get(0).path("mode").asText()).isEqualTo("listening");
            assertThat(local.path("members").get(0).path("address").asText()).contains("127.0.0.1:1");
            assertThat(local.path("members").get(0).path("connected").asBoolean()).isFalse();
            assertThat(local.path("members").get(0).path("problem").asText()).isNotBlank();
            com.fasterxml.jackson.databind.JsonNode remote = agents.get(1);
            assertThat(remote.toString()).isEqualTo("{\"name\":\"remote\",\"connected\":0,\"known\":0,"
                    + "\"members\":[]}");
        }
    }

    private GatewayConfig config(boolean refuseB) throws Exception {
        return config(refuseB, """
                agents:
                  local: {address: 127.0.0.1:1}
                """);
    }

    private GatewayConfig config(boolean refuseB, String agentsYaml) throws Exception {
        Path dir = Files.createDirectories(temp.resolve("config"));
        Files.writeString(dir.resolve("gateway.yaml"), """
                listeners:
                  http: {host: 127.0.0.1, port: 0}
                admin: {host: 127.0.0.1, port: 0}
                %sdataDirectory: %s
                """.formatted(agentsYaml, temp.resolve("data")));
        Files.createDirectories(dir.resolve("endpoints"));
        for (String id : List.of("a", "b")) {
            Files.writeString(dir.resolve("endpoints").resolve(id + ".yaml"), """
                    id: %s
                    path: /%s
                    protocol: raw
                    target: {agent: local, service: model}
                    pipeline:
                      - counting:
                          refuse: %s
                    """.formatted(id, id, refuseB && id.equals("b")));
        }
        LoadResult<GatewayConfig> loaded = new ConfigLoader(registry.configTypes(), registry.sectionTypes(),
                registry.directoryTypes(), name -> null).load(dir);
        assertThat(loaded.formattedErrors()).isEmpty();
        return loaded.orThrow();
    }

    /** Whether this process could lock the embedded store's file, i.e. no open store holds it. */
    private boolean storeFileIsFree() throws Exception {
        Path file = temp.resolve("data").resolve("store").resolve("gatehouse.mv.db");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return false;
            }
            lock.release();
            return true;
        } catch (java.nio.channels.OverlappingFileLockException e) {
            return false;
        }
    }
}
