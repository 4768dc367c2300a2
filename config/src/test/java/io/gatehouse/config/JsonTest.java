package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void writesNestedValuesIndentedWithEscapedStrings() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("quote\"back\\slash", List.of("line\nbreak\ttab\u0001", true, 3, Map.of(), List.of()));
        value.put("none", null);

        assertThat(Json.write(value)).isEqualTo("""
                {
                  "quote\\"back\\\\slash": [
                    "line\\nbreak\\ttab\\u0001",
                    true,
                    3,
                    {},
                    []
                  ],
                  "none": null
                }
                """);
    }
}
