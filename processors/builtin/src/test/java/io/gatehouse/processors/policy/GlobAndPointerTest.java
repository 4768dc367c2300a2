package io.gatehouse.processors.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.spi.Glob;
import org.junit.jupiter.api.Test;

/** Model and path patterns, and the JSON Pointers of hidden fields. */
class GlobAndPointerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aStarStaysWithinASegmentAndTwoStarsCrossThem() {
        assertThat(Glob.of("demo-*").matches("demo-small")).isTrue();
        assertThat(Glob.of("demo-*").matches("demo-/etc")).isFalse();
        assertThat(Glob.of("demo-*").matches("other")).isFalse();
        assertThat(Glob.of("*").matches("evil/llama")).isFalse();
        assertThat(Glob.of("/v2/**").matches("/v2/models/m/infer")).isTrue();
        assertThat(Glob.of("/v1/models/*").matches("/v1/models/a/b")).isFalse();
        assertThat(Glob.of("llama3.?").matches("llama3.1")).isTrue();
        assertThat(Glob.of("llama3.?").matches("llama3x1")).isFalse();
        assertThat(Glob.of("m-*-v?").matches("m-1-large-v2")).isTrue();
    }

    @Test
    void aPointerWithAStarRemovesTheFieldFromEveryElement() throws Exception {
        JsonNode node = JSON.readTree("{\"choices\":[{\"a\":1,\"logprobs\":2},{\"logprobs\":null}],\"usage\":{}}");

        assertThat(FieldPointer.parse("/choices/*/logprobs").removeFrom(node)).isTrue();
        assertThat(FieldPointer.parse("/usage").removeFrom(node)).isTrue();
        assertThat(FieldPointer.parse("/missing/x").removeFrom(node)).isFalse();

        assertThat(node.toString()).isEqualTo("{\"choices\":[{\"a\":1},{}]}");
    }

    @Test
    void escapedTokensAndIndexesFollowRfc6901() throws Exception {
        JsonNode node = JSON.readTree("{\"a/b\":{\"~k\":1,\"j\":2},\"list\":[1,2,3]}");

        FieldPointer.parse("/a~1b/~0k").removeFrom(node);
        FieldPointer.parse("/list/1").removeFrom(node);

        assertThat(node.toString()).isEqualTo("{\"a/b\":{\"j\":2},\"list\":[1,3]}");
    }

    @Test
    void aPointerThatNamesNoFieldIsRefused() {
        assertThatThrownBy(() -> FieldPointer.parse("usage")).hasMessage("'usage' is not a JSON Pointer to a field"
                + " (expected e.g. /usage or /choices/*/logprobs)");
        assertThatThrownBy(() -> FieldPointer.parse("/choices//x")).hasMessage("'/choices//x' has an empty token"
                + " (expected e.g. /choices/*/logprobs)");
    }
}
