package io.gatehouse.processors.masking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.spi.ByteSize;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** OpenAI, KServe and generic SSE streams, event by event. */
class SseMaskingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Masker masker = Masker.of(MaskingConfig.defaults());

    private SseMasking sse(MaskingProtocol protocol) {
        return new SseMasking(masker, protocol, new MaskingCounts(), () -> { });
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Runs chunks through and returns each event's data (client side). */
    private static List<String> run(SseMasking t, String... chunks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String c : chunks) {
            out.writeBytes(t.onChunk(bytes(c)));
        }
        out.writeBytes(t.onEnd());
        List<String> data = new ArrayList<>();
        for (String event : out.toString(StandardCharsets.UTF_8).split("\n\n")) {
            for (String line : event.split("\n")) {
                if (line.startsWith("data: ")) {
                    data.add(line.substring(6));
                }
            }
        }
        return data;
    }

    private static String delta(int index, String field, String text, String finish) {
        String delta = text == null ? "{}" : "{\"" + field + "\":" + quote(text) + "}";
        return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{"
                + "\"index\":" + index + ",\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":"
                + (finish == null ? "null" : "\"" + finish + "\"") + "}]}\n\n";
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String content(String data) throws Exception {
        return JSON.readTree(data).at("/choices/0/delta/content").asText(null);
    }

    @Test
    void anEmailSplitAcrossThreeContentDeltasIsMaskedAndTheHeldTailGoesOutWithTheFinishReason() throws Exception {
        List<String> data = run(sse(MaskingProtocol.OPENAI), delta(0, "content", "write to bob.sm", null),
                delta(0, "content", "ith@exam", null), delta(0, "content", "ple.com please", null),
                delta(0, "content", null, "stop"), "data: [DONE]\n\n");
        assertThat(data).hasSize(5);
        assertThat(content(data.get(0))).isEqualTo("write to ");
        assertThat(content(data.get(1))).isEmpty();
        assertThat(content(data.get(2))).isEqualTo("[EMAIL] ");
        assertThat(content(data.get(3))).isEqualTo("please");
        assertThat(JSON.readTree(data.get(3)).at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(data.get(4)).isEqualTo("[DONE]");
    }

    @Test
    void withoutAFinishReasonTheHeldTextGoesOutInAnExtraEventBeforeDone() throws Exception {
        List<String> data = run(sse(MaskingProtocol.OPENAI), delta(0, "content", "card 4111 1111", null),
                delta(0, "content", " 1111 1111", null), "data: [DONE]\n\n");
        assertThat(data).hasSize(4);
        assertThat(content(data.get(0))).isEqualTo("card ");
        assertThat(content(data.get(1))).isEmpty();
        JsonNode extra = JSON.readTree(data.get(2));
        assertThat(extra.at("/choices/0/delta/content").asText()).isEqualTo("[CREDIT_CARD]");
        assertThat(extra.get("id").asText()).isEqualTo("c1");
        assertThat(extra.at("/choices/0/finish_reason").isNull()).isTrue();
        assertThat(data.get(3)).isEqualTo("[DONE]");
    }

    @Test
    void toolCallArgumentsAndReasoningAreMaskedAcrossEventsPerChoiceAndToolCall() throws Exception {
        String call0 = "data: {\"choices\":[{\"index\":1,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
                + "\"function\":{\"name\":\"send\",\"arguments\":\"{\\\"to\\\":\\\"amy@exa\"}}]}}]}\n\n";
        String call1 = "data: {\"choices\":[{\"index\":1,\"delta\":{\"tool_calls\":[{\"index\":0,"
                + "\"function\":{\"arguments\":\"mple.org\\\"}\"}}]}}]}\n\n";
        List<String> data = run(sse(MaskingProtocol.OPENAI), delta(0, "reasoning_content", "her ssn is 460-89", null),
                call0, delta(0, "reasoning_content", "-9847 so", null), call1,
                "data: {\"choices\":[{\"index\":1,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
                delta(0, "content", null, "stop"), "data: [DONE]\n\n");
        StringBuilder reasoning = new StringBuilder();
        StringBuilder arguments = new StringBuilder();
        for (String d : data) {
            if (d.equals("[DONE]")) {
                continue;
            }
            JsonNode choice = JSON.readTree(d).at("/choices/0");
            if (choice.path("delta").path("reasoning_content").isTextual()) {
                reasoning.append(choice.at("/delta/reasoning_content").asText());
            }
            for (JsonNode call : choice.path("delta").path("tool_calls")) {
                arguments.append(call.at("/function/arguments").asText());
            }
        }
        assertThat(reasoning).hasToString("her ssn is [US_SSN] so");
        assertThat(arguments).hasToString("{\"to\":\"[EMAIL]\"}");
        assertThat(String.join("\n", data)).doesNotContain("amy@").doesNotContain("9847");
    }

    @Test
    void eventsSplitAcrossChunksAtAnyByteAreReassembledAndCrlfIsAccepted() throws Exception {
        String stream = delta(0, "content", "ip 10.0.0.1", null).replace("\n", "\r\n")
                + delta(0, "content", null, "stop") + "data: [DONE]\r\n\r\n";
        for (int cut = 1; cut < stream.length(); cut++) {
            List<String> data = run(sse(MaskingProtocol.OPENAI), stream.substring(0, cut), stream.substring(cut));
            assertThat(content(data.get(0)) + content(data.get(1))).as("cut at %d", cut).isEqualTo("ip [IP_ADDRESS]");
        }
    }

    @Test
    void perTokenLogprobsAreRemovedBecauseTheyWouldSpellTheValueOut() throws Exception {
        String event = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"logprobs\":{\"content\":"
                + "[{\"token\":\"bob@example.com\",\"logprob\":-0.1}]},\"finish_reason\":null}]}\n\n";
        List<String> data = run(sse(MaskingProtocol.OPENAI), event);
        assertThat(JSON.readTree(data.get(0)).at("/choices/0/logprobs").isNull()).isTrue();
    }

    @Test
    void dataThatIsNotJsonEndsAnOpenAiStreamAndNamesTheEventOnly() {
        SseMasking t = sse(MaskingProtocol.OPENAI);
        t.onChunk(bytes(delta(0, "content", "hi", null)));
        assertThatThrownBy(() -> t.onChunk(bytes("data: call bob@example.com\n\n")))
                .isInstanceOf(MaskingException.class)
                .hasMessage("SSE event 2's data is neither JSON nor [DONE], so the stream was cut");
        assertThatThrownBy(() -> sse(MaskingProtocol.OPENAI).onChunk(bytes("data: {\"a\":bob@example.com}\n\n")))
                .hasMessage("SSE event 1's data is not valid JSON (line 1, column 6)");
    }

    @Test
    void anEventLargerThanTheLimitEndsTheStream() {
        Masker small = Masker.of(new MaskingConfig(null, null, null, null, null, null, null, null, null, null,
                ByteSize.parse("1KiB"), null));
        SseMasking t = new SseMasking(small, MaskingProtocol.OPENAI, new MaskingCounts(), () -> { });
        assertThatThrownBy(() -> t.onChunk(bytes("data: \"" + "a".repeat(1100))))
                .hasMessage("an SSE event is larger than masking.maxEventBytes (1024 bytes), so the stream was cut");
    }

    @Test
    void kserveGenerateStreamTextOutputIsMaskedAcrossEventsAndFlushedAtTheEnd() throws Exception {
        List<String> data = run(sse(MaskingProtocol.KSERVE_V2),
                "data: {\"model_name\":\"m\",\"text_output\":\"ssn 460-\"}\n\n",
                "data: {\"model_name\":\"m\",\"text_output\":\"89-9847\"}\n\n");
        assertThat(data).hasSize(3);
        assertThat(JSON.readTree(data.get(0)).get("text_output").asText()).isEqualTo("ssn ");
        assertThat(JSON.readTree(data.get(1)).get("text_output").asText()).isEmpty();
        assertThat(JSON.readTree(data.get(2))).isEqualTo(JSON.readTree("{\"model_name\":\"m\",\"text_output\":\"[US_SSN]\"}"));
    }

    @Test
    void aGenericStreamMasksEachEventWholeAndPlainTextDataAndCommentsToo() {
        List<String> data = run(sse(MaskingProtocol.GENERIC), "event: note\ndata: {\"t\":\"bob@example.com\"}\n\n",
                ": ping from bob@example.com\ndata: mail bob@example.com\ndata: line two\n\n");
        assertThat(data).containsExactly("{\"t\":\"[EMAIL]\"}", "mail [EMAIL]", "line two");
        SseMasking t = sse(MaskingProtocol.GENERIC);
        assertThat(new String(t.onChunk(bytes(": ping bob@example.com\n\n")), StandardCharsets.UTF_8))
                .isEqualTo(": ping [EMAIL]\n\n");
    }

    @Test
    void aTgiTokenStreamMasksAValueSplitAcrossTokensAndChunksAndSendsTheTailInTheClosingEvent() {
        String out = String.join("\n", run(sse(MaskingProtocol.OPENAI),
                "data:{\"index\":1,\"token\":{\"id\":1,\"text\":\"mail bob@exa\",\"logprob\":-0.1,\"special\":false},"
                        + "\"generated_text\":null,\"details\":null}\n\ndata:{\"index\":2,\"tok",
                "en\":{\"id\":2,\"text\":\"mple.com\",\"logprob\":-0.1,\"special\":false},\"generated_text\":null,"
                        + "\"details\":null}\n\n",
                "data:{\"index\":3,\"token\":{\"id\":3,\"text\":\" now\",\"logprob\":-0.1,\"special\":false},"
                        + "\"generated_text\":\"mail bob@example.com now\",\"details\":{\"finish_reason\":\"eos_token\","
                        + "\"generated_tokens\":3}}\n\n"));

        assertThat(out).doesNotContain("bob@", "example.com", "exa");
        assertThat(out).isEqualTo("{\"index\":1,\"token\":{\"id\":1,\"text\":\"mail \",\"logprob\":-0.1,"
                + "\"special\":false},\"generated_text\":null,\"details\":null}\n"
                + "{\"index\":2,\"token\":{\"id\":2,\"text\":\"\",\"logprob\":-0.1,\"special\":false},"
                + "\"generated_text\":null,\"details\":null}\n"
                + "{\"index\":3,\"token\":{\"id\":3,\"text\":\"[EMAIL] now\",\"logprob\":-0.1,\"special\":false},"
                + "\"generated_text\":\"mail [EMAIL] now\",\"details\":{\"finish_reason\":\"eos_token\","
                + "\"generated_tokens\":3}}");
    }

    @Test
    void aLlamaCppCompletionStreamMasksAcrossEventsAndSendsTheTailInTheStopEvent() {
        List<String> out = run(sse(MaskingProtocol.OPENAI),
                "data: {\"index\":0,\"content\":\"card 4111 1111\",\"stop\":false}\n\n",
                "data: {\"index\":0,\"content\":\" 1111 1111\",\"stop\":false}\n\n",
                "data: {\"index\":0,\"content\":\"\",\"stop\":true,\"prompt\":\"say 4111 1111 1111 1111\"}\n\n");

        assertThat(out).containsExactly("{\"index\":0,\"content\":\"card \",\"stop\":false}",
                "{\"index\":0,\"content\":\"\",\"stop\":false}",
                "{\"index\":0,\"content\":\"[CREDIT_CARD]\",\"stop\":true,\"prompt\":\"say [CREDIT_CARD]\"}");
    }

    @Test
    void aTgiStreamThatEndsWithoutItsClosingEventStillSendsWhatWasHeldMasked() {
        List<String> out = run(sse(MaskingProtocol.OPENAI),
                "data:{\"index\":1,\"token\":{\"id\":1,\"text\":\"ip 10.0\",\"special\":false},"
                        + "\"generated_text\":null,\"details\":null}\n\n",
                "data:{\"index\":2,\"token\":{\"id\":2,\"text\":\".0.1\",\"special\":false},"
                        + "\"generated_text\":null,\"details\":null}\n\n");

        assertThat(String.join("", out)).doesNotContain("10.0");
        assertThat(out.get(out.size() - 1)).isEqualTo("{\"index\":2,\"token\":{\"id\":0,\"text\":\"[IP_ADDRESS]\","
                + "\"logprob\":0.0,\"special\":false},\"generated_text\":null,\"details\":null}");
    }
}
