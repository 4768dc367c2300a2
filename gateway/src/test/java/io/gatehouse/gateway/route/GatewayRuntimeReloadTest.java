package io.gatehouse.gateway.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.config.LoadResult;
import io.gatehouse.gateway.plugin.ProcessorRegistry;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a reload does with processors: an unchanged step keeps its processor, a changed one gets a new
 * processor and the old one is closed once idle, a refused reload creates nothing that stays and closes
 * nothing that serves, and an unchanged directory is not applied again.
 */
class GatewayRuntimeReloadTest {

    @TempDir
    Path temp;

    /** {@code - tagged: {tag: x}}; tag {@code refuse} is refused by the factory. */
    public record TaggedConfig(String tag) {
    }

    static final class TaggedFactory implements ProcessorFactory<TaggedConfig> {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public String id() {
            return "tagged";
        }

        @Override
        public Class<TaggedConfig> configType() {
            return TaggedConfig.class;
        }

        @Override
        public Phase phase() {
            return Phase.OBSERVE;
        }

        @Override
        public GatewayProcessor create(TaggedConfig config, EndpointContext endpoint) {
            if ("refuse".equals(config.tag())) {
                throw new ConfigException("tag", "refused for this test");
            }
            String name = endpoint.endpointId() + "/" + config.tag();
            events.add("create " + name);
            return new GatewayProcessor() {
                @Override
                public void close() {
                    events.add("close " + name);
                }
            };
        }
    }

    private final TaggedFactory tagged = new TaggedFactory();
    private String gatewayExtra = "";
    private final ProcessorRegistry registry = ProcessorRegistry.of(List.of(tagged));
    private GatewayRuntime gateway;

    @BeforeEach
    void start() throws Exception {
        write("a", "one");
        write("b", "one");
        gateway = GatewayRuntime.start(load(), registry);
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void aChangedStepGetsANewProcessorTheUnchangedOneIsKeptAndTheReplacedOneIsClosedOnceIdle() throws Exception {
        String before = gateway.applied().version().version();
        write("b", "two");

        GatewayRuntime.ReloadResult result = gateway.reload("tester", "test");
        awaitEvents(4);

        assertThat(result.outcome()).isEqualTo(GatewayRuntime.ReloadResult.Outcome.APPLIED);
        assertThat(result.previousVersion()).isEqualTo(before);
        assertThat(result.version()).isNotEqualTo(before).startsWith("sha256:");
        assertThat(result.files().changed()).containsExactly("endpoints/b.yaml");
        assertThat(result.endpointsChanged()).containsExactly("b");
        assertThat(result.endpointsUnchanged()).containsExactly("a");
        assertThat(tagged.events).containsExactly("create a/one", "create b/one", "create b/two", "close b/one");
        assertThat(gateway.applied().by()).isEqualTo("tester");
    }

    @Test
    void aRefusedReloadListsTheErrorsLikeConfigValidateAndLeavesTheRunningProcessorsServing() throws Exception {
        String before = gateway.applied().version().version();
        write("a", "two");
        write("b", "refuse");

        GatewayRuntime.ReloadResult result = gateway.reload("tester", "test");

        assertThat(result.outcome()).isEqualTo(GatewayRuntime.ReloadResult.Outcome.REFUSED);
        assertThat(result.errors()).containsExactly(
                "endpoints/b.yaml:6:5: endpoint 'b' step 'tagged' field 'tag': refused for this test");
        assertThat(gateway.applied().version().version()).isEqualTo(before);
        // a/two was created for the refused reload and closed with it; a/one and b/one still serve.
        assertThat(tagged.events).containsExactly("create a/one", "create b/one", "create a/two", "close a/two");
        assertThat(gateway.pipelines()).extracting(p -> p.version()).containsOnly(before);
    }

    @Test
    void aDirectoryThatDidNotChangeIsNotAppliedAgain() {
        GatewayRuntime.ReloadResult result = gateway.reload("tester", "test");

        assertThat(result.outcome()).isEqualTo(GatewayRuntime.ReloadResult.Outcome.UNCHANGED);
        assertThat(tagged.events).containsExactly("create a/one", "create b/one");
    }

    @Test
    void aRemovedEndpointsProcessorIsClosedOnceIdleAndClosingTheGatewayClosesEachRemainingOneOnce()
            throws Exception {
        Files.delete(temp.resolve("config/endpoints/a.yaml"));

        GatewayRuntime.ReloadResult result = gateway.reload("tester", "test");
        awaitEvents(3);
        gateway.close();
        gateway = null;

        assertThat(result.endpointsRemoved()).containsExactly("a");
        assertThat(tagged.events).containsExactly("create a/one", "create b/one", "close a/one", "close b/one");
    }

    @Test
    void aWatchedDirectoryIsAppliedWhenItsFilesChangeAndABrokenSaveIsRefused() throws Exception {
        gateway.close();
        gatewayExtra = "reload: {watch: true, watchDelay: 100ms}\n";
        write("a", "one");
        gateway = GatewayRuntime.start(load(), registry);
        String before = gateway.applied().version().version();

        write("a", "refuse");
        Thread.sleep(1_500);
        String afterBroken = gateway.applied().version().version();
        write("a", "two");
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (gateway.applied().version().version().equals(before) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }

        assertThat(afterBroken).as("a refused save leaves the running config").isEqualTo(before);
        assertThat(gateway.applied().version().version()).isNotEqualTo(before);
        assertThat(gateway.applied().trigger()).isEqualTo("watch");
        assertThat(gateway.applied().by()).isEqualTo("file watch");
        assertThat(tagged.events).contains("create a/two");
    }

    private void awaitEvents(int n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (tagged.events.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    private void write(String id, String tag) throws Exception {
        Path dir = Files.createDirectories(temp.resolve("config"));
        Files.writeString(dir.resolve("gateway.yaml"), """
                listeners:
                  http: {host: 127.0.0.1, port: 0}
                admin: {host: 127.0.0.1, port: 0}
                agents:
                  local: {address: 127.0.0.1:1}
                dataDirectory: %s
                """.formatted(temp.resolve("data")) + gatewayExtra);
        Files.createDirectories(dir.resolve("endpoints"));
        Files.writeString(dir.resolve("endpoints").resolve(id + ".yaml"), """
                id: %s
                path: /%s
                protocol: raw
                target: {agent: local, service: model}
                pipeline:
                  - tagged:
                      tag: %s
                """.formatted(id, id, tag));
    }

    private GatewayConfig load() {
        LoadResult<GatewayConfig> loaded = new ConfigLoader(registry.configTypes(), registry.sectionTypes(),
                registry.directoryTypes(), name -> null).load(temp.resolve("config"));
        assertThat(loaded.formattedErrors()).isEmpty();
        return loaded.orThrow();
    }
}
