package io.gatehouse.gateway.protocol;

import static io.gatehouse.gateway.protocol.ProtocolRequests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An {@code openai} endpoint in front of TGI or llama.cpp server also understands their own routes, and vLLM's
 * LoRA admin names the adapter as the model; fine-tuning is classified whatever the method (a policy tells
 * reading from creating by {@code methods}).
 */
class NativeRoutesTest {

    private final OpenAiAdapter adapter = new OpenAiAdapter();

    static Stream<Arguments> routes() {
        return Stream.of(
                Arguments.of("POST", "/tgi/generate", "{\"inputs\":\"hi\",\"parameters\":{\"max_new_tokens\":20}}",
                        new Operation("tgi", OperationKind.COMPLETION, null, false, 1, OptionalInt.of(20))),
                Arguments.of("POST", "/tgi/generate_stream", "{\"inputs\":\"hi\",\"parameters\":{\"best_of\":2}}",
                        new Operation("tgi", OperationKind.COMPLETION, null, true, 2, OptionalInt.empty())),
                Arguments.of("POST", "/generate", "{\"inputs\":\"hi\"}",
                        new Operation("tgi", OperationKind.COMPLETION, null, false, 1, OptionalInt.empty())),
                Arguments.of("GET", "/tgi/info", null,
                        new Operation("tgi", OperationKind.LIST_MODELS, null, false, 0, OptionalInt.empty())),
                Arguments.of("POST", "/llama/completion", "{\"prompt\":\"hi\",\"n_predict\":16,\"stream\":true}",
                        new Operation("llama-cpp", OperationKind.COMPLETION, null, true, 1, OptionalInt.of(16))),
                Arguments.of("POST", "/llama/completion", "{\"prompt\":[\"a\",\"b\",\"c\"],\"n_predict\":-1}",
                        new Operation("llama-cpp", OperationKind.COMPLETION, null, false, 3, OptionalInt.empty())),
                Arguments.of("POST", "/llama/completion", "{\"prompt\":[12,34],\"model\":\"qwen\"}",
                        new Operation("llama-cpp", OperationKind.COMPLETION, "qwen", false, 1, OptionalInt.empty())),
                Arguments.of("GET", "/llama/props", null,
                        new Operation("llama-cpp", OperationKind.LIST_MODELS, null, false, 0, OptionalInt.empty())),
                Arguments.of("POST", "/llama/props", "{\"n_slots\":4}",
                        new Operation("llama-cpp", OperationKind.MODEL_ADMIN, null, false, 1, OptionalInt.empty())),
                Arguments.of("GET", "/llama/slots", null,
                        new Operation("llama-cpp", OperationKind.MODEL_ADMIN, null, false, 1, OptionalInt.empty())),
                Arguments.of("POST", "/llama/slots/0", "{\"filename\":\"s.bin\"}",
                        new Operation("llama-cpp", OperationKind.MODEL_ADMIN, null, false, 1, OptionalInt.empty())),
                Arguments.of("POST", "/v1/load_lora_adapter", "{\"lora_name\":\"sql\",\"lora_path\":\"/a/sql\"}",
                        new Operation("openai", OperationKind.MODEL_LOAD, "sql", false, 1, OptionalInt.empty())),
                Arguments.of("POST", "/v1/unload_lora_adapter", "{\"lora_name\":\"sql\"}",
                        new Operation("openai", OperationKind.MODEL_UNLOAD, "sql", false, 1, OptionalInt.empty())),
                Arguments.of("POST", "/v1/fine_tuning/jobs", "{\"model\":\"demo-small\",\"training_file\":\"file-1\"}",
                        new Operation("openai", OperationKind.FINE_TUNE, "demo-small", false, 1, OptionalInt.empty())),
                Arguments.of("GET", "/v1/fine_tuning/jobs/ftjob-1", null,
                        new Operation("openai", OperationKind.FINE_TUNE, null, false, 1, OptionalInt.empty())),
                Arguments.of("POST", "/v1/completions", "{\"model\":\"m\",\"prompt\":\"x\",\"max_tokens\":5}",
                        new Operation("openai", OperationKind.COMPLETION, "m", false, 1, OptionalInt.of(5))));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("routes")
    void eachRouteIsClassifiedInItsDialectWithModelStreamBatchAndCap(String method, String path, String body,
                                                                      Operation expected) {
        assertThat(adapter.parse(request(method, path, body))).isEqualTo(expected);
    }
}
