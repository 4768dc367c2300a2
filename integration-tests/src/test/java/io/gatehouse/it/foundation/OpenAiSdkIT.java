package io.gatehouse.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK works against the gateway with only the base URL and a dev-issuer token. */
class OpenAiSdkIT {

    private static Stack stack;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        stack = Stack.start();
        client = sdk(stack.token());
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    private static OpenAIClient sdk(String apiKey) {
        return OpenAIOkHttpClient.builder().baseUrl(stack.baseUrl()).apiKey(apiKey).maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
    }

    @Test
    void aChatCompletionThroughTheSdkReturnsTheModelsEcho() {
        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("demo-small").addUserMessage("Hello from the SDK").build());

        assertThat(completion.model()).isEqualTo("demo-small");
        assertThat(completion.choices()).hasSize(1);
        assertThat(completion.choices().get(0).message().content()).contains("You said: Hello from the SDK");
    }

    @Test
    void aStreamedChatCompletionDeliversTheFirstChunkLongBeforeTheModelHasFinished() {
        // 20 words at 100 ms: the model needs about 1.9 s from its first word to its last.
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("demo-small")
                .addUserMessage(Http.words(18)).putAdditionalHeader("X-Sample-Token-Delay-Ms", "100").build();
        List<String> pieces = new ArrayList<>();
        List<Long> arrivals = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                arrivals.add(System.nanoTime());
                chunk.choices().forEach(c -> c.delta().content().ifPresent(pieces::add));
            });
        }

        assertThat(String.join("", pieces)).isEqualTo("You said: " + Http.words(18));
        long spreadMillis = (arrivals.get(arrivals.size() - 1) - arrivals.get(0)) / 1_000_000;
        // Chunks that arrive spread over the model's own pace were passed on as produced, not collected:
        // a buffered answer would arrive within a few milliseconds. The bound is well below the model's 1.9 s so
        // that a busy machine delaying the first chunks (it once measured 904 ms) does not fail a streamed answer.
        assertThat(spreadMillis).as("ms between the first and the last chunk").isGreaterThan(400);
    }

    @Test
    void embeddingsThroughTheSdkReturnOneVectorPerInput() {
        CreateEmbeddingResponse response = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("demo-small").inputOfArrayOfStrings(List.of("first text", "second text")).build());

        assertThat(response.data()).hasSize(2);
        assertThat(response.data().get(0).embedding()).hasSize(8);
        assertThat(response.data().get(0).embedding()).isNotEqualTo(response.data().get(1).embedding());
    }

    @Test
    void modelsListThroughTheSdkNamesTheServedModels() {
        List<String> ids = client.models().list().data().stream().map(Model::id).toList();

        assertThat(ids).containsExactly("demo-small", "demo-large");
    }

    @Test
    void theSdkWithATokenTheGatewayRefusesGetsUnauthorizedWithTheGatewaysExplanation() {
        OpenAIClient stranger = sdk("not-a-token");
        try {
            assertThatThrownBy(() -> stranger.models().list())
                    .isInstanceOf(UnauthorizedException.class)
                    .hasMessageContaining("the token is not a well-formed signed JWT");
        } finally {
            stranger.close();
        }
    }
}
