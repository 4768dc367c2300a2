package io.gatehouse.processors.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Phase;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LimitsConfigTest {

    @Test
    void everyComponentLeftOutTakesItsDefault() {
        LimitsConfig config = new LimitsConfig(null, null, null);

        assertThat(config.maxBodyBytes()).isEqualTo(ByteSize.parse("1MiB"));
        assertThat(config.maxHeaderBytes()).isEqualTo(ByteSize.parse("16KiB"));
        assertThat(config.requestTimeout()).isEqualTo(Duration.ofSeconds(120));
    }

    @Test
    void aZeroBodyLimitIsRefusedNamingTheField() {
        assertThatThrownBy(() -> new LimitsConfig(ByteSize.ofBytes(0), null, null))
                .isInstanceOf(ConfigException.class)
                .hasMessage("must be at least 1 byte, got 0 bytes")
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("maxBodyBytes");
    }

    @Test
    void aZeroHeaderLimitIsRefusedNamingTheField() {
        assertThatThrownBy(() -> new LimitsConfig(null, ByteSize.ofBytes(0), null))
                .hasMessage("must be at least 1 byte, got 0 bytes")
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("maxHeaderBytes");
    }

    @Test
    void aTimeoutThatIsNotPositiveIsRefused() {
        assertThatThrownBy(() -> new LimitsConfig(null, null, Duration.ZERO))
                .hasMessage("must be positive, got 0s")
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("requestTimeout");
        assertThatThrownBy(() -> new LimitsConfig(null, null, Duration.ofSeconds(-5)))
                .hasMessage("must be positive, got -5s");
    }

    @Test
    void theFactoryIsLimitsInTheAuthorizePhase() {
        LimitsProcessorFactory factory = new LimitsProcessorFactory();

        assertThat(factory.id()).isEqualTo("limits");
        assertThat(factory.phase()).isEqualTo(Phase.AUTHORIZE);
        assertThat(factory.configType()).isEqualTo(LimitsConfig.class);
    }
}
