package io.gatehouse.gateway.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.GatewaySection;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A gateway.yaml section has one owner; the gateway's own keys have none. */
class GatewaySectionOwnersTest {

    record Section(String value) {
    }

    record Empty() {
    }

    static class Claiming implements ProcessorFactory<Empty> {
        private final String id;
        private final String key;

        Claiming(String id, String key) {
            this.id = id;
            this.key = key;
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
            return Phase.TRANSFORM;
        }

        @Override
        public GatewayProcessor create(Empty config, EndpointContext endpoint) {
            return new GatewayProcessor() {
            };
        }

        @Override
        public Optional<GatewaySection<?>> gatewaySection() {
            return Optional.of(GatewaySection.of(key, Section.class));
        }
    }

    static class First extends Claiming {
        First() {
            super("first", "shared");
        }
    }

    static class Second extends Claiming {
        Second() {
            super("second", "shared");
        }
    }

    @Test
    void sectionsAreListedByKeyWithTheirRecordAndOwner() {
        ProcessorRegistry registry = ProcessorRegistry.of(List.of(new First()));

        assertThat(registry.sectionTypes()).isEqualTo(Map.of("shared", Section.class));
        assertThat(registry.sectionOwners().get("shared")).isInstanceOf(First.class);
    }

    @Test
    void twoFactoriesClaimingOneSectionStopTheStartNamingBoth() {
        assertThatThrownBy(() -> ProcessorRegistry.of(List.of(new First(), new Second())))
                .isInstanceOf(ProcessorRegistry.PluginException.class)
                .hasMessage("processor factories " + First.class.getName() + " and " + Second.class.getName()
                        + " both claim the gateway.yaml section 'shared'; remove one of the jars");
    }

    @Test
    void aFactoryMayNotClaimOneOfTheGatewaysOwnKeys() {
        assertThatThrownBy(() -> ProcessorRegistry.of(List.of(new Claiming("x", "agents"))))
                .isInstanceOf(ProcessorRegistry.PluginException.class)
                .hasMessage("processor factory " + Claiming.class.getName() + " claims the gateway.yaml section"
                        + " 'agents', which is one of the gateway's own keys");
    }

    @Test
    void theBuiltInAuthStepOwnsTheIdentitySection() {
        ProcessorRegistry registry = ProcessorRegistry.load(getClass().getClassLoader(), Optional.empty());

        assertThat(registry.sectionTypes()).containsKey("identity");
        assertThat(registry.sectionOwners().get("identity").id()).isEqualTo("auth");
    }
}
