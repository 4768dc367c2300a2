package io.gatehouse.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.AttributeKey;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class TestExchangeTest {

    private static final AttributeKey<Integer> COUNT = AttributeKey.of("test.count", Integer.class);

    @Test
    void theBuilderProducesTheRequestAsWritten() {
        Operation chat = new Operation("openai", OperationKind.CHAT, "llama", true, 1, OptionalInt.of(64));
        TestExchange exchange = TestExchange.post("/v1/chat/completions?debug=1")
                .header("Authorization", "Bearer abc")
                .header("Accept", "text/event-stream")
                .header("accept", "application/json")
                .body("{\"model\":\"llama\"}")
                .operation(chat)
                .clientAddress("10.0.0.7", 51000)
                .requestId("r-1")
                .attribute(COUNT, 3)
                .build();

        assertThat(exchange.request().method()).isEqualTo("POST");
        assertThat(exchange.request().path()).isEqualTo("/v1/chat/completions");
        assertThat(exchange.request().query()).isEqualTo("debug=1");
        assertThat(exchange.request().headers().all("ACCEPT")).containsExactly("text/event-stream", "application/json");
        assertThat(exchange.request().clientAddress()).isEqualTo(new InetSocketAddress("10.0.0.7", 51000));
        assertThat(exchange.bodyText()).isEqualTo("{\"model\":\"llama\"}");
        assertThat(exchange.operation()).isEqualTo(chat);
        assertThat(exchange.requestId()).isEqualTo("r-1");
        assertThat(exchange.endpointId()).isEqualTo("test");
        assertThat(exchange.attributes().get(COUNT)).contains(3);
        assertThat(exchange.response()).isEmpty();
        assertThat(exchange.identity()).isEmpty();
    }

    @Test
    void anExchangeWithoutAnOperationIsRaw() {
        assertThat(TestExchange.get("/healthz").build().operation()).isEqualTo(Operation.raw("raw"));
    }

    @Test
    void replacingTheBodyUpdatesAContentLengthTheRequestCarries() {
        TestExchange exchange = TestExchange.post("/v1/completions").header("Content-Length", "2").body("{}").build();

        exchange.request().replaceBody("{\"max_tokens\":8}".getBytes(java.nio.charset.StandardCharsets.UTF_8));

        assertThat(exchange.bodyText()).isEqualTo("{\"max_tokens\":8}");
        assertThat(exchange.request().headers().all("content-length")).isEqualTo(List.of("16"));
    }

    @Test
    void twoExchangesFromOneBuilderDoNotShareHeaders() {
        TestExchange.Builder builder = TestExchange.get("/").header("A", "1");
        TestExchange first = builder.build();
        TestExchange second = builder.build();

        first.request().headers().remove("A");

        assertThat(second.request().headers().first("A")).contains("1");
    }

    @Test
    void attributesAreTypedAndRemovable() {
        TestExchange exchange = TestExchange.get("/").build();
        exchange.attributes().put(COUNT, 1);

        assertThat(exchange.attributes().get(AttributeKey.of("test.count", Integer.class))).contains(1);
        assertThat(exchange.attributes().get(AttributeKey.of("test.count", Long.class))).isEmpty();
        assertThat(exchange.attributes().remove(COUNT)).contains(1);
        assertThat(exchange.attributes().get(COUNT)).isEmpty();
    }

    @Test
    void aPathMustStartWithASlash() {
        assertThatThrownBy(() -> TestExchange.get("v1/models"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a request path starts with '/', got 'v1/models'");
    }
}
