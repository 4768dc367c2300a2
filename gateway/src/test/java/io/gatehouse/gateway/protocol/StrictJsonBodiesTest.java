package io.gatehouse.gateway.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StrictJsonBodiesTest {

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aKeyTwiceIsRefusedAlsoWhenSpelledWithAnEscape() {
        assertThatThrownBy(() -> JsonBodies.object(bytes("{\"model\":\"a\",\"m\\u006fdel\":\"b\"}")))
                .isInstanceOf(MalformedRequestException.class)
                .hasMessage("the request body has the key 'model' more than once (line 1, column 26); send each key once");
    }

    @Test
    void nestingOver256LevelsAndNumbersOver100DigitsAreRefused() {
        assertThatThrownBy(() -> JsonBodies.object(bytes("{\"x\":" + "[".repeat(300) + "]".repeat(300) + "}")))
                .hasMessageStartingWith("the request body is outside this gateway's JSON limits");
        assertThatThrownBy(() -> JsonBodies.object(bytes("{\"x\":" + "9".repeat(200) + "}")))
                .hasMessageStartingWith("the request body is outside this gateway's JSON limits");
    }

    @Test
    void theCapIsTheLargestOfEveryOutputTokenField() {
        assertThat(OutputTokenBounds.of(JsonBodies.object(bytes(
                "{\"max_tokens\":5,\"max_completion_tokens\":5000,\"options\":{\"num_predict\":70}}"))))
                .hasValue(5000);
        assertThat(OutputTokenBounds.of(JsonBodies.object(bytes("{\"max_tokens\":null}")))).isEmpty();
    }

    @Test
    void anOutputTokenFieldThatIsNotAWholeNumberInRangeIsRefusedByName() {
        assertThatThrownBy(() -> OutputTokenBounds.of(JsonBodies.object(bytes("{\"max_completion_tokens\":\"100\"}"))))
                .hasMessage("'max_completion_tokens' must be a whole number from 0 to 2147483647, got \"100\"; leave it"
                        + " out for the gateway's default");
        assertThatThrownBy(() -> OutputTokenBounds.of(JsonBodies.object(bytes("{\"max_tokens\":2147483648}"))))
                .hasMessageStartingWith("'max_tokens' must be a whole number");
        assertThatThrownBy(() -> OutputTokenBounds.of(JsonBodies.object(bytes("{\"parameters\":{\"max_new_tokens\":-1}}"))))
                .hasMessageStartingWith("'parameters.max_new_tokens' must be a whole number");
    }
}
