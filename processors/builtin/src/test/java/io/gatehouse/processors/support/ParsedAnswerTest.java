package io.gatehouse.processors.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.testkit.TestExchange;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A tree handed from one built-in step to the next is used only for the very bytes it was read from. */
class ParsedAnswerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theTreeIsTakenOnceByEqualBytes() throws Exception {
        TestExchange exchange = TestExchange.post("/v1/chat/completions").build();
        JsonNode tree = JSON.readTree("{\"a\":1}");
        ParsedAnswer.of(exchange.attributes()).offer(utf8("{\"a\":1}"), tree);

        assertThat(ParsedAnswer.existing(exchange.attributes()).take(utf8("{\"a\":1}"))).isSameAs(tree);
        assertThat(ParsedAnswer.existing(exchange.attributes()).take(utf8("{\"a\":1}"))).isNull();
    }

    @Test
    void otherBytesGetNoTreeAndTheOfferIsGone() throws Exception {
        TestExchange exchange = TestExchange.post("/v1/chat/completions").build();
        ParsedAnswer.of(exchange.attributes()).offer(utf8("{\"a\":1}"), JSON.readTree("{\"a\":1}"));

        assertThat(ParsedAnswer.existing(exchange.attributes()).take(utf8("{\"a\":2}"))).isNull();
        assertThat(ParsedAnswer.existing(exchange.attributes()).take(utf8("{\"a\":1}"))).isNull();
    }

    @Test
    void anExchangeNoStepOfferedToHasNoHolder() {
        TestExchange exchange = TestExchange.post("/v1/chat/completions").build();

        assertThat(ParsedAnswer.existing(exchange.attributes())).isNull();
        assertThat(ParsedAnswer.of(exchange.attributes())).isSameAs(ParsedAnswer.of(exchange.attributes()));
    }
}
