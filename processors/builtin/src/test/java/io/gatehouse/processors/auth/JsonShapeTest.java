package io.gatehouse.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JsonShapeTest {

    @Test
    void aPlainObjectWithEveryKindOfValuePasses() {
        assertThat(JsonShape.problem(" {\"a\":1,\"b\":-2.5e3,\"c\":[true,false,null],\"d\":{\"e\":\"x\\u0041\\n\"}} "))
                .isNull();
        assertThat(JsonShape.problem("{}")).isNull();
    }

    @Test
    void duplicateMembersAreFoundEvenWhenOneIsEscaped() {
        assertThat(JsonShape.problem("{\"sub\":\"a\",\"\\u0073ub\":\"b\"}")).isEqualTo("has the member sub twice");
        assertThat(JsonShape.problem("{\"x\":{\"g\":1,\"g\":2}}")).isEqualTo("has the member g twice");
        assertThat(JsonShape.problem("{\"g\":{\"a\":1},\"h\":{\"a\":2}}")).isNull();
    }

    @Test
    void nestingAndSizeAreBounded() {
        assertThat(JsonShape.problem("{\"a\":" + "[".repeat(16) + "]".repeat(16) + "}"))
                .isEqualTo("is nested deeper than 16 levels");
        assertThat(JsonShape.problem("{\"a\":" + "[".repeat(15) + "]".repeat(15) + "}")).isNull();
        assertThat(JsonShape.problem("{\"a\":" + "[".repeat(100_000))).isEqualTo("is nested deeper than 16 levels");
        StringBuilder many = new StringBuilder("{");
        for (int i = 0; i < 1025; i++) {
            many.append(i == 0 ? "" : ",").append("\"m").append(i).append("\":0");
        }
        assertThat(JsonShape.problem(many.append('}').toString())).isEqualTo("has more than 1024 members");
    }

    @Test
    void anythingButOneStrictObjectIsRefused() {
        assertThat(JsonShape.problem("[1]")).isEqualTo("is not a JSON object");
        assertThat(JsonShape.problem("\ufeff{}")).isEqualTo("is not a JSON object");
        assertThat(JsonShape.problem("{} {}")).isEqualTo("has text after the JSON object");
        assertThat(JsonShape.problem("{'a':1}")).isEqualTo("has an invalid member name");
        assertThat(JsonShape.problem("{\"a\":01}")).isEqualTo("is not valid JSON");
        assertThat(JsonShape.problem("{\"a\":\"x\u0001\"}")).isEqualTo("has a control character in a string");
        assertThat(JsonShape.problem("{\"a\":\"\\x\"}")).isEqualTo("has an invalid escape");
        assertThat(JsonShape.problem("{\"a\":NaN}")).isEqualTo("has an invalid value");
        assertThat(JsonShape.problem("{\"a\":1")).isEqualTo("is not valid JSON");
        assertThat(JsonShape.problem("{\"a\":\"x")).isEqualTo("has an unterminated string");
    }
}
