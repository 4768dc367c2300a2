package io.gatehouse.processors;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.spi.ProcessorFactory;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class BuiltinFactoriesTest {

    @Test
    void theServiceFileListsEveryBuiltInFactoryOnce() {
        assertThat(ServiceLoader.load(ProcessorFactory.class).stream().map(p -> p.get().id()))
                .containsExactlyInAnyOrder("auth", "limits", "masking", "policy", "recording", "approval");
    }
}
