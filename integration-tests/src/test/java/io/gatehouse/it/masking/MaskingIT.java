package io.gatehouse.it.masking;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * and the phone number word by word, so each value is split across several SSE events). The stored
 * records hold the masked forms only, also when the caller was shown the values.
 */
class MaskingIT {

    private static final String PROMPT = "My card is 4111 1111 1111 1111, mail bob.smith@example.com, phone "
            + "+1 415-555-2671, IBAN DE89 3704 0044 0532 0130 00, thanks";
    private static final String MASKED = "You said: My card is [CREDIT_CARD], mail [EMAIL], phone [PHONE], IBAN [IBAN],"
            + " thanks";
    private static final List<String> VALUES = List.of("4111", "bob.smith", "example.com", "415", "2671", "DE89",
            "3704", "0130");
    private static final List<String> WHOLE_VALUES = List.of("4111 1111 1111 1111", "bob.smith@example.com",
            "415-555-2671", "DE89 3704 0044 0532 0130 00");
    private static final String MASKED_PROMPT = "My card is [CREDIT_CARD], mail [EMAIL], phone [PHONE], IBAN [IBAN],"
            + " thanks";
    private static final String FOUR_VALUES = "{\"credit-card\":1,\"email\":1,\"iban\":1,\"phone\":1}";
    private static final ObjectMapper JSON = new ObjectMapper();

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

    // ---- the stored records (recording.masking) ----

    private static String requestId(HttpResponseFor<?> response) {
        return response.headers().values("Gatehouse-Request-Id").get(0);
    }

    /** The prompt as the record stores it. */
    private static String storedPrompt(JsonNode record) throws Exception {
        return JSON.readTree(record.at("/request/body/text").asText()).at("/messages/0/content").asText();
    }

    /** The answer's text as the record stores it: the message of a whole answer, or every delta of a stream. */
    private static String storedAnswer(JsonNode record) throws Exception {
        JsonNode body = record.at("/response/body");
        if (!body.has("chunks")) {
            return JSON.readTree(body.get("text").asText()).at("/choices/0/message/content").asText();
        }
        StringBuilder events = new StringBuilder();
        body.get("chunks").forEach(c -> events.append(c.get("text").asText()));
        StringBuilder answer = new StringBuilder();
        for (String event : events.toString().split("\n\n")) {
            if (event.startsWith("data: {")) {
                answer.append(JSON.readTree(event.substring("data: ".length())).at("/choices/0/delta/content")
                        .asText(""));
            }
        }
        return answer.toString();
    }

    private static void assertNoValueInTheStoredBodies(JsonNode record) throws Exception {
        String bodies = record.at("/request/body").toString() + record.at("/response/body").toString();
        for (String value : WHOLE_VALUES) {
            assertThat(bodies).as("stored bodies").doesNotContain(value);
        }
        for (String value : VALUES) {
            assertThat(storedPrompt(record)).doesNotContain(value);
            assertThat(storedAnswer(record)).doesNotContain(value);
        }
    }

    @Test
    void aPlainCallIsRecordedWithTheMaskedPromptAndAnswerAndNoneOfTheValues() throws Exception {
        OpenAIClient client = client("http", List.of("analysts"));
        String id;
        try {
            HttpResponseFor<ChatCompletion> response = client.chat().completions().withRawResponse().create(params());
            assertThat(response.parse().choices().get(0).message().content()).contains(MASKED);
            id = requestId(response);
        } finally {
            client.close();
        }

        JsonNode record = stack.record(id);

        assertThat(storedPrompt(record)).isEqualTo(MASKED_PROMPT);
        assertThat(storedAnswer(record)).contains(MASKED);
        assertNoValueInTheStoredBodies(record);
        assertThat(record.at("/storedMasking/request").toString()).isEqualTo(FOUR_VALUES);
        assertThat(record.at("/masking").toString()).as("the masking step's own counts").isEqualTo(FOUR_VALUES);
    }

    @Test
    void aStreamedCallIsRecordedChunkByChunkWithNoPieceOfAnyValue() throws Exception {
        OpenAIClient client = client("http", List.of("analysts"));
        String id;
        try {
            HttpResponseFor<StreamResponse<ChatCompletionChunk>> response = client.chat().completions()
                    .withRawResponse().createStreaming(params());
            id = requestId(response);
            try (StreamResponse<ChatCompletionChunk> stream = response.parse()) {
                assertThat(stream.stream().count()).isGreaterThan(10);
            }
        } finally {
            client.close();
        }

        JsonNode record = stack.record(id);

        assertThat(record.at("/response/streamed").asBoolean()).isTrue();
        assertThat(record.at("/response/body/chunks").size()).isGreaterThan(10);
        assertThat(storedPrompt(record)).isEqualTo(MASKED_PROMPT);
        assertThat(storedAnswer(record)).isEqualTo(MASKED);
        assertNoValueInTheStoredBodies(record);
    }

    @Test
    void aCallerInAnExemptGroupReadsTheValuesWhileItsRecordsStayMasked() throws Exception {
        OpenAIClient client = client("http", List.of("pii-readers"));
        String plainId;
        String streamedId;
        List<String> pieces = new ArrayList<>();
        try {
            HttpResponseFor<ChatCompletion> plain = client.chat().completions().withRawResponse().create(params());
            assertThat(plain.parse().choices().get(0).message().content()).contains("You said: " + PROMPT);
            plainId = requestId(plain);
            HttpResponseFor<StreamResponse<ChatCompletionChunk>> streamed = client.chat().completions()
                    .withRawResponse().createStreaming(params());
            streamedId = requestId(streamed);
            try (StreamResponse<ChatCompletionChunk> stream = streamed.parse()) {
                stream.stream().forEach(c -> c.choices().forEach(choice -> choice.delta().content()
                        .ifPresent(pieces::add)));
            }
        } finally {
            client.close();
        }
        assertThat(String.join("", pieces)).isEqualTo("You said: " + PROMPT);

        JsonNode plainRecord = stack.record(plainId);
        JsonNode streamedRecord = stack.record(streamedId);

        assertThat(storedAnswer(plainRecord)).contains(MASKED);
        assertThat(storedAnswer(streamedRecord)).isEqualTo(MASKED);
        assertNoValueInTheStoredBodies(plainRecord);
        assertNoValueInTheStoredBodies(streamedRecord);
        assertThat(plainRecord.at("/storedMasking/response").toString()).isEqualTo(FOUR_VALUES);
        assertThat(streamedRecord.at("/storedMasking/response").toString()).isEqualTo(FOUR_VALUES);
    }
}
