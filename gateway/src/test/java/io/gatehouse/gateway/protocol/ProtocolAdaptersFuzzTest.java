package io.gatehouse.gateway.protocol;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.gatehouse.engine.InboundRequest;
import io.gatehouse.spi.Headers;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Coverage-guided fuzzing of the protocol adapters' request parsing (OpenAI, Ollama, KServe v2, raw):
 * any body on any of their paths is parsed into an operation or refused as malformed (400); any other
 * exception would be a 500 and is a finding. Corpus:
 * {@code src/test/resources/io/gatehouse/gateway/protocol/ProtocolAdaptersFuzzTestInputs}.
 */
class ProtocolAdaptersFuzzTest {

    private static final List<String> PROTOCOLS = List.of("openai", "ollama", "kserve-v2", "raw");
    private static final List<String> PATHS = List.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings",
            "/v1/responses", "/v1/models", "/v1/batches", "/v1/load_lora_adapter", "/api/chat", "/api/generate",
            "/api/embed", "/api/pull", "/v2/models/m/infer", "/v2/models/m/versions/2/infer",
            "/v2/repository/models/m/load", "/v2/models/m/ready", "/anything");

    @FuzzTest(maxDuration = "20s")
    void anyBodyOnAnyPathIsParsedOrRefusedAsMalformed(FuzzedDataProvider data) {
        ProtocolAdapter adapter = ProtocolAdapters.forName(data.pickValue(PROTOCOLS)).orElseThrow();
        String path = data.pickValue(PATHS);
        Headers headers = new Headers();
        headers.add("Content-Type", data.consumeBoolean() ? "application/json" : data.consumeString(40));
        InboundRequest request = new InboundRequest(data.consumeBoolean() ? "POST" : "GET", path, "", headers,
                new InetSocketAddress("127.0.0.1", 1), data.consumeRemainingAsBytes());
        try {
            if (adapter.parse(request) == null) {
                throw new IllegalStateException(adapter.name() + " returned no operation for " + path);
            }
        } catch (MalformedRequestException refused) {
            // a 400 that names what is wrong
        }
    }
}
