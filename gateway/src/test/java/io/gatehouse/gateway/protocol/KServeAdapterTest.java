package io.gatehouse.gateway.protocol;

import static io.gatehouse.gateway.protocol.ProtocolRequests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** KServe v2 over HTTP: inference, generate, metadata, and the repository and admin extensions. */
class KServeAdapterTest {

    private static final String INFER = "{\"inputs\":[{\"name\":\"x\",\"shape\":[4,3],\"datatype\":\"FP32\",\"data\":[]},"
            + "{\"name\":\"y\",\"shape\":[2],\"datatype\":\"INT64\",\"data\":[1,2]}]}";

    private final KServeAdapter adapter = new KServeAdapter();

    static Stream<Arguments> routes() {
        return Stream.of(
                Arguments.of("POST", "/v2/models/resnet/infer", INFER, op(OperationKind.INFER, "resnet", false, 4, null)),
                Arguments.of("POST", "/v2/models/resnet/versions/3/infer", INFER,
                        op(OperationKind.INFER, "resnet", false, 4, null)),
                Arguments.of("POST", "/triton/v2/models/resnet/infer", INFER, op(OperationKind.INFER, "resnet", false, 4, null)),
                Arguments.of("POST", "/v2/models/llm/generate", "{\"text_input\":\"hi\",\"parameters\":{\"max_tokens\":20}}",
                        op(OperationKind.COMPLETION, "llm", false, 1, 20)),
                Arguments.of("POST", "/v2/models/llm/generate_stream", "{\"text_input\":\"hi\"}",
                        op(OperationKind.COMPLETION, "llm", true, 1, null)),
                Arguments.of("GET", "/v2/models/resnet", null, op(OperationKind.LIST_MODELS, "resnet", false, 0, null)),
                Arguments.of("GET", "/v2/models/resnet/ready", null, op(OperationKind.LIST_MODELS, "resnet", false, 0, null)),
                Arguments.of("POST", "/v2/repository/index", "{}", op(OperationKind.LIST_MODELS, null, false, 0, null)),
                Arguments.of("POST", "/v2/repository/models/resnet/load", "{}", op(OperationKind.MODEL_LOAD, "resnet", false, 1, null)),
                Arguments.of("POST", "/v2/repository/models/resnet/unload", "{}",
                        op(OperationKind.MODEL_UNLOAD, "resnet", false, 1, null)),
                Arguments.of("POST", "/v2/systemsharedmemory/region/r/register", "{}",
                        op(OperationKind.MODEL_ADMIN, null, false, 1, null)),
                Arguments.of("POST", "/v2/trace/setting", "{}", op(OperationKind.MODEL_ADMIN, null, false, 1, null)),
                Arguments.of("GET", "/v2/health/ready", null, Operation.raw("kserve-v2")),
                Arguments.of("GET", "/v2", null, Operation.raw("kserve-v2")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("routes")
    void eachRouteIsClassifiedWithItsModelAndBatch(String method, String path, String body, Operation expected) {
        assertThat(adapter.parse(request(method, path, body))).isEqualTo(expected);
    }

    @Test
    void theBinaryExtensionIsReadUpToItsJsonHeader() {
        String header = "{\"inputs\":[{\"name\":\"x\",\"shape\":[8],\"datatype\":\"UINT8\",\"parameters\":"
                + "{\"binary_data_size\":8}}]}";
        Headers headers = new Headers().set("Inference-Header-Content-Length", Integer.toString(header.length()));

        Operation op = adapter.parse(request("POST", "/v2/models/m/infer", header + "\u0001\u0002\u0003\u0004\u0005\u0006"
                + "\u0007\u0008", headers));

        assertThat(op.batch()).isEqualTo(8);
    }

    @Test
    void anInferenceWithoutInputsIsMalformed() {
        assertThatThrownBy(() -> adapter.parse(request("POST", "/v2/models/m/infer", "{\"inputs\":[]}")))
                .isInstanceOf(MalformedRequestException.class)
                .hasMessage("an inference request needs a non-empty 'inputs' array");
        assertThatThrownBy(() -> adapter.parse(request("POST", "/v2/models/m/infer", "{\"inputs\":[{\"name\":\"x\"}]}")))
                .hasMessage("inputs[0] needs a 'name' and a 'shape'");
        assertThatThrownBy(() -> adapter.parse(request("POST", "/v2/models/m/infer", "[1]")))
                .hasMessage("the request body must be a JSON object");
    }

    private static Operation op(OperationKind kind, String model, boolean stream, int batch, Integer maxTokens) {
        return new Operation("kserve-v2", kind, model, stream, batch,
                maxTokens == null ? OptionalInt.empty() : OptionalInt.of(maxTokens));
    }
}
