package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigErrorTest {

    @Test
    void formatIsFileLineColumnWhereMessage() {
        assertThat(new ConfigError("endpoints/chat.yaml", 7, 5, "endpoint 'chat' step 'limits' field 'requestTimeout'",
                "value 'soon' (expected: a duration like 30s, 5m, 250ms)").format())
                .isEqualTo("endpoints/chat.yaml:7:5: endpoint 'chat' step 'limits' field 'requestTimeout': "
                        + "value 'soon' (expected: a duration like 30s, 5m, 250ms)");
    }

    @Test
    void anEmptyWhereAndAFileLevelErrorLeaveTheirPartsOut() {
        assertThat(new ConfigError("policies/x.yaml", 1, 1, "", "no").format()).isEqualTo("policies/x.yaml:1:1: no");
        assertThat(new ConfigError("gateway.yaml", 0, 0, "", "file not found").format()).isEqualTo("gateway.yaml: file not found");
    }

    @Test
    void errorsSortByFileThenLineThenColumn() {
        List<ConfigError> errors = new ArrayList<>(List.of(
                new ConfigError("gateway.yaml", 2, 1, "", "d"),
                new ConfigError("endpoints/b.yaml", 1, 1, "", "c"),
                new ConfigError("endpoints/a.yaml", 10, 1, "", "b2"),
                new ConfigError("endpoints/a.yaml", 9, 7, "", "b1"),
                new ConfigError("endpoints/a.yaml", 9, 3, "", "a")));

        errors.sort(ConfigError.ORDER);

        assertThat(errors).extracting(ConfigError::message).containsExactly("a", "b1", "b2", "c", "d");
    }
}
