package io.gatehouse.gateway.protocol;

import static io.gatehouse.gateway.protocol.ProtocolRequests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Ollama's native API: each route classified, model, stream, batch and output cap read from the body. */
class OllamaAdapterTest {

    private final OllamaAdapter adapter = new OllamaAdapter();

    static Stream<Arguments> routes() {
        return Stream.of(
                Arguments.of("POST", "/api/chat", "{\"model\":\"llama3\",\"messages\":[]}",
                        op(OperationKind.CHAT, "llama3", true, 1, null)),
                Arguments.of("POST", "/api/chat", "{\"model\":\"llama3\",\"stream\":false,\"options\":{\"num_predict\":64}}",
                        op(OperationKind.CHAT, "llama3", false, 1, 64)),
                Arguments.of("POST", "/api/generate", "{\"model\":\"llama3\",\"prompt\":\"hi\"}",
                        op(OperationKind.COMPLETION, "llama3", true, 1, null)),
                Arguments.of("POST", "/api/generate", "{\"model\":\"llama3\",\"keep_alive\":0}",
                        op(OperationKind.MODEL_UNLOAD, "llama3", false, 1, null)),
                Arguments.of("POST", "/api/embed", "{\"model\":\"nomic\",\"input\":[\"a\",\"b\",\"c\"]}",
                        op(OperationKind.EMBEDDINGS, "nomic", false, 3, null)),
                Arguments.of("GET", "/api/tags", null, op(OperationKind.LIST_MODELS, null, false, 0, null)),
                Arguments.of("GET", "/api/ps", null, op(OperationKind.LIST_MODELS, null, false, 0, null)),
                Arguments.of("POST", "/api/show", "{\"model\":\"llama3\"}", op(OperationKind.LIST_MODELS, "llama3", false, 0, null)),
                Arguments.of("POST", "/api/pull", "{\"model\":\"evil/llama\"}", op(OperationKind.MODEL_ADMIN, "evil/llama", true, 1, null)),
                Arguments.of("POST", "/api/create", "{\"model\":\"mine\",\"stream\":false}", op(OperationKind.MODEL_ADMIN, "mine", false, 1, null)),
                Arguments.of("POST", "/api/copy", "{\"source\":\"a\",\"destination\":\"b\"}", op(OperationKind.MODEL_ADMIN, null, false, 1, null)),
                Arguments.of("DELETE", "/api/delete", "{\"model\":\"llama3\"}", op(OperationKind.MODEL_ADMIN, "llama3", false, 1, null)),
                Arguments.of("POST", "/api/push", "{\"model\":\"me/llama3\"}", op(OperationKind.MODEL_ADMIN, "me/llama3", true, 1, null)),
                Arguments.of("GET", "/api/version", null, op(OperationKind.RAW, null, false, 1, null)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("routes")
    void eachRouteIsClassifiedWithItsModelStreamBatchAndCap(String method, String path, String body, Operation expected) {
        assertThat(adapter.parse(request(method, path, body))).isEqualTo(expected);
    }

    @Test
    void aBodyThatIsNotJsonIsMalformed() {
        assertThatThrownBy(() -> adapter.parse(request("POST", "/api/chat", "{\"model\": ")))
                .isInstanceOf(MalformedRequestException.class)
                .hasMessage("the request body is not valid JSON (line 1, column 11)");
    }

    @Test
    void aChatWithoutABodyIsMalformed() {
        assertThatThrownBy(() -> adapter.parse(request("POST", "/api/chat", null)))
                .hasMessage("a chat request needs a JSON body with a model");
    }

    private static Operation op(OperationKind kind, String model, boolean stream, int batch, Integer maxTokens) {
        return new Operation("ollama", kind, model, stream, batch,
                maxTokens == null ? OptionalInt.empty() : OptionalInt.of(maxTokens));
    }
}
