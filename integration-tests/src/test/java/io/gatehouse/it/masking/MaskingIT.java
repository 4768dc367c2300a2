package io.gatehouse.it.masking;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sample model echoes personal data back; through the gateway the official OpenAI SDK receives it
 * masked, in a plain and in a streamed chat completion (where the model sends the card number, the IBAN
 * and the phone number word by word, so each value is split across several SSE events).
 */
class MaskingIT {

    private static final String PROMPT = "My card is 4111 1111 1111 1111, mail bob.smith@example.com, phone "
            + "+1 415-555-2671, IBAN DE89 3704 0044 0532 0130 00, thanks";
    private static final String MASKED = "You said: My card is [CREDIT_CARD], mail [EMAIL], phone [PHONE], IBAN [IBAN],"
            + " thanks";
    private static final List<String> VALUES = List.of("4111", "bob.smith", "example.com", "415", "2671", "DE89",
            "3704", "0130");

    private static MaskingStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = MaskingStack.start();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    private static OpenAIClient client(String listener, List<String> groups) {
        return OpenAIOkHttpClient.builder().baseUrl(stack.baseUrl(listener)).apiKey(stack.token("alice", groups))
                .maxRetries(0).timeout(Duration.ofSeconds(30)).build();
    }

    private static ChatCompletionCreateParams params() {
        return ChatCompletionCreateParams.builder().model("demo-small").addUserMessage(PROMPT).build();
    }

    @Test
    void aPlainChatCompletionArrivesWithEveryValueMaskedAndTheCountInAHeader() {
        OpenAIClient client = client("http", List.of("analysts"));
        try {
            HttpResponseFor<ChatCompletion> response = client.chat().completions().withRawResponse().create(params());
            ChatCompletion completion = response.parse();
            assertThat(completion.choices().get(0).message().content()).contains(MASKED);
            assertThat(response.headers().values("Gatehouse-Masked")).containsExactly("4");
        } finally {
            client.close();
        }
    }

    @Test
    void aStreamedChatCompletionArrivesWordByWordWithNoPieceOfAnyValue() {
        OpenAIClient client = client("http", List.of("analysts"));
        List<String> pieces = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params())) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(pieces::add)));
        } finally {
            client.close();
        }
        assertThat(String.join("", pieces)).isEqualTo(MASKED);
        assertThat(pieces.stream().filter(p -> !p.isEmpty()).count()).as("pieces").isGreaterThan(10);
        for (String piece : pieces) {
            for (String value : VALUES) {
                assertThat(piece).as("piece %s", piece).doesNotContain(value);
            }
        }
    }

    @Test
    void withPromptMaskingTheModelNeverSeesTheValuesSoItsEchoHoldsOnlyPlaceholders() {
        OpenAIClient client = client("prompted", List.of("analysts"));
        try {
            ChatCompletion completion = client.chat().completions().create(params());
            assertThat(completion.choices().get(0).message().content()).contains(MASKED);
        } finally {
            client.close();
        }
    }

    @Test
    void aCallerInAnExemptGroupReadsTheValues() {
        OpenAIClient client = client("http", List.of("pii-readers"));
        try {
            ChatCompletion completion = client.chat().completions().create(params());
            assertThat(completion.choices().get(0).message().content()).contains("You said: " + PROMPT);
        } finally {
            client.close();
        }
    }
}
