package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LeakDetectionDefaultTest {

    private String before;

    @BeforeEach
    void remember() {
        before = System.getProperty(GatehouseCommand.NETTY_LEAK_DETECTION);
    }

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty(GatehouseCommand.NETTY_LEAK_DETECTION);
        } else {
            System.setProperty(GatehouseCommand.NETTY_LEAK_DETECTION, before);
        }
    }

    @Test
    void withoutAnOperatorsSettingTheCommandsRunWithNettysLeakDetectorOff() {
        System.clearProperty(GatehouseCommand.NETTY_LEAK_DETECTION);

        GatehouseCommand.leakDetectionOffUnlessAsked();

        assertThat(System.getProperty(GatehouseCommand.NETTY_LEAK_DETECTION)).isEqualTo("disabled");
    }

    @Test
    void aLevelTheOperatorSetIsKept() {
        System.setProperty(GatehouseCommand.NETTY_LEAK_DETECTION, "paranoid");

        GatehouseCommand.leakDetectionOffUnlessAsked();

        assertThat(System.getProperty(GatehouseCommand.NETTY_LEAK_DETECTION)).isEqualTo("paranoid");
    }
}
