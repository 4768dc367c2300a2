package io.gatehouse.processors.masking;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.spi.ChunkTransformer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * For every PII value of {@link PiiSamples} and every way of cutting it into two or three pieces, a client
 * of a masked stream receives none of it: neither as raw text chunks nor as OpenAI SSE content deltas
 * (one piece per event). What the client gets, joined, equals masking the whole text at once.
 */
class StreamSplitPropertyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BEFORE = "Please call me at ";
    private static final String AFTER = " today, thanks.";

    private static Masker masker;
    private static List<PiiSamples.Sample> samples;

    @BeforeAll
    static void setUp() {
        masker = Masker.of(MaskingConfig.defaults());
        samples = PiiSamples.all();
    }

    @Test
    void theSampleSetHasAtLeast200ValuesOfEveryBuiltInKind() {
        Map<String, Integer> kinds = new TreeMap<>();
        samples.forEach(s -> kinds.merge(s.detector(), 1, Integer::sum));
        System.out.println("samples: " + samples.size() + " " + kinds);
        assertThat(samples.size()).isGreaterThanOrEqualTo(200);
        assertThat(kinds.keySet()).containsExactlyInAnyOrderElementsOf(Detectors.BUILT_IN);
    }

    @Test
    void everySampleValueIsMaskedByItsOwnDetectorInAWholeText() {
        for (PiiSamples.Sample s : samples) {
            Masker.MaskedText masked = masker.maskText(BEFORE + s.value() + AFTER);
            assertThat(masked.counts()).as(s.value()).containsEntry(s.detector(), 1).hasSize(1);
            assertThat(masked.text()).as(s.value()).isEqualTo(BEFORE + "[" + Detectors.label(s.detector()) + "]"
                    + AFTER);
        }
    }

    @Test
    void noSplitIntoTwoOrThreeRawChunksLetsAnyOfAValueThrough() {
        long cases = 0;
        for (PiiSamples.Sample s : samples) {
            String text = BEFORE + s.value() + AFTER;
            String expected = masker.maskText(text).text();
            for (List<String> pieces : splits(text, BEFORE.length(), BEFORE.length() + s.value().length())) {
                String received = rawStream(pieces);
                assertThat(received).as("%s cut as %s", s.value(), pieces).isEqualTo(expected);
                cases++;
            }
        }
        System.out.println("raw chunk cases: " + cases);
        assertThat(cases).isGreaterThan(10_000);
    }

    @Test
    void noSplitIntoTwoOrThreeOpenAiContentDeltasLetsAnyOfAValueThrough() throws Exception {
        long cases = 0;
        for (PiiSamples.Sample s : samples) {
            String text = BEFORE + s.value() + AFTER;
            String expected = masker.maskText(text).text();
            for (List<String> pieces : splits(text, BEFORE.length(), BEFORE.length() + s.value().length())) {
                String wire = sseStream(pieces);
                assertThat(wire).as("%s cut as %s", s.value(), pieces).doesNotContain(s.value())
                        .doesNotContain(JSON.writeValueAsString(s.value()).replace("\"", ""));
                assertThat(contentOf(wire)).as("%s cut as %s", s.value(), pieces).isEqualTo(expected);
                cases++;
            }
        }
        System.out.println("SSE delta cases: " + cases);
        assertThat(cases).isGreaterThan(10_000);
    }

    /** Every cut of {@code text} into two or three pieces with each cut inside {@code [from, to)}. */
    static List<List<String>> splits(String text, int from, int to) {
        List<List<String>> all = new ArrayList<>();
        for (int i = from + 1; i < to; i++) {
            all.add(List.of(text.substring(0, i), text.substring(i)));
            for (int j = i + 1; j < to; j++) {
                all.add(List.of(text.substring(0, i), text.substring(i, j), text.substring(j)));
            }
        }
        return all;
    }

    private static String rawStream(List<String> pieces) {
        TextMasking t = new TextMasking(masker, StandardCharsets.UTF_8, new MaskingCounts(), () -> { });
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        pieces.forEach(p -> out.writeBytes(t.onChunk(p.getBytes(StandardCharsets.UTF_8))));
        out.writeBytes(t.onEnd());
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String sseStream(List<String> pieces) throws Exception {
        ChunkTransformer t = new SseMasking(masker, MaskingProtocol.OPENAI, new MaskingCounts(), () -> { });
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < pieces.size(); i++) {
            out.writeBytes(t.onChunk(event(pieces.get(i), null, i == 0)));
        }
        out.writeBytes(t.onChunk(event(null, "stop", false)));
        out.writeBytes(t.onChunk("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8)));
        out.writeBytes(t.onEnd());
        return out.toString(StandardCharsets.UTF_8);
    }

    /** An OpenAI chat chunk event carrying {@code content} (or none) and a finish reason (or null). */
    static byte[] event(String content, String finish, boolean first) throws Exception {
        ObjectNode chunk = JSON.createObjectNode().put("id", "chatcmpl-1").put("object", "chat.completion.chunk")
                .put("created", 1700000000).put("model", "demo");
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (first) {
            delta.put("role", "assistant");
        }
        if (content != null) {
            delta.put("content", content);
        }
        choice.putNull("logprobs");
        if (finish == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finish);
        }
        return ("data: " + JSON.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The content deltas of an OpenAI SSE stream, joined; every event's data must be JSON or [DONE]. */
    static String contentOf(String wire) throws Exception {
        StringBuilder content = new StringBuilder();
        for (String event : wire.split("\n\n")) {
            String data = event.substring("data: ".length());
            if (data.equals("[DONE]")) {
                continue;
            }
            JsonNode node = JSON.readTree(data);
            for (JsonNode choice : node.get("choices")) {
                JsonNode c = choice.path("delta").path("content");
                if (c.isTextual()) {
                    content.append(c.asText());
                }
            }
        }
        return content.toString();
    }
}
