package io.gatehouse.gateway.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.ConfigDirectory;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A config sub-directory has one owner; {@code endpoints/} has none. */
class ConfigDirectoryOwnersTest {

    record File(String name) {
    }

    record Empty() {
    }

    static final class Claiming implements ProcessorFactory<Empty> {
        private final String id;
        private final String directory;

        Claiming(String id, String directory) {
            this.id = id;
            this.directory = directory;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public Class<Empty> configType() {
            return Empty.class;
        }

        @Override
        public Phase phase() {
            return Phase.AUTHORIZE;
        }

        @Override
        public GatewayProcessor create(Empty config, EndpointContext endpoint) {
            return new GatewayProcessor() {
            };
        }

        @Override
        public Optional<ConfigDirectory<?>> configDirectory() {
            return Optional.of(ConfigDirectory.of(directory, File.class));
        }
    }

    @Test
    void theRegistryTellsTheLoaderWhichDirectoriesFactoriesOwn() {
        ProcessorRegistry registry = ProcessorRegistry.of(List.of(new Claiming("rules", "rule-sets")));

        assertThat(registry.directoryTypes()).isEqualTo(Map.of("rule-sets", File.class));
        assertThat(registry.directoryOwners()).containsOnlyKeys("rule-sets");
    }

    @Test
    void twoFactoriesClaimingOneDirectoryFailTheStartNamingBoth() {
        assertThatThrownBy(() -> ProcessorRegistry.of(List.of(new Claiming("a", "policies"), new Claiming("b", "policies"))))
                .isInstanceOf(ProcessorRegistry.PluginException.class)
                .hasMessage("processor factories " + Claiming.class.getName() + " and " + Claiming.class.getName()
                        + " both claim the config directory 'policies'; remove one of the jars");
    }

    @Test
    void theEndpointsDirectoryIsTheGatewaysOwn() {
        assertThatThrownBy(() -> ProcessorRegistry.of(List.of(new Claiming("a", "endpoints"))))
                .hasMessage("processor factory " + Claiming.class.getName() + " claims the config directory"
                        + " 'endpoints', which is the gateway's own");
    }

    @Test
    void aDirectoryNameIsLowerCaseLettersDigitsAndDashes() {
        assertThatThrownBy(() -> ConfigDirectory.of("../etc", File.class)).hasMessage("a config directory name is a"
                + " lower-case letter followed by lower-case letters, digits and dashes, got '../etc'");
    }
}
