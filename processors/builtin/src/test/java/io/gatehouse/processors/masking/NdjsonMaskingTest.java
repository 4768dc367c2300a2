package io.gatehouse.processors.masking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Ollama's NDJSON streams, line by line. */
class NdjsonMaskingTest {

    private final Masker masker = Masker.of(MaskingConfig.defaults());

    private String run(String... chunks) {
        NdjsonMasking t = new NdjsonMasking(masker, MaskingProtocol.OLLAMA, new MaskingCounts(), () -> { });
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String c : chunks) {
            out.writeBytes(t.onChunk(c.getBytes(StandardCharsets.UTF_8)));
        }
        out.writeBytes(t.onEnd());
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aChatValueSplitAcrossLinesIsMaskedAndTheTailGoesOutInTheDoneLine() {
        String out = run("{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"card 4111 1111\"},"
                        + "\"done\":false}\n{\"model\":\"m\",\"message\":{\"role\":\"assistant\",",
                "\"content\":\" 1111 1111 ok\"},\"done\":false}\n",
                "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
                        + "\"context\":[1,2,3]}\n");
        assertThat(out).isEqualTo("{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"card \"},"
                + "\"done\":false}\n{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"[CREDIT_CARD] \"},"
                + "\"done\":false}\n{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
                + "\"done\":true}\n");
    }

    @Test
    void generateResponsesHeldAtTheEndOfAStreamWithoutDoneGoOutInOneMoreLine() {
        String out = run("{\"model\":\"m\",\"response\":\"ip 10.0\",\"done\":false}\n",
                "{\"model\":\"m\",\"response\":\".0.1\",\"done\":false}\n");
        assertThat(out).isEqualTo("{\"model\":\"m\",\"response\":\"ip \",\"done\":false}\n"
                + "{\"model\":\"m\",\"response\":\"\",\"done\":false}\n"
                + "{\"model\":\"m\",\"response\":\"[IP_ADDRESS]\",\"done\":false}\n");
    }

    @Test
    void aLineThatIsNotJsonEndsTheStream() {
        NdjsonMasking t = new NdjsonMasking(masker, MaskingProtocol.OLLAMA, new MaskingCounts(), () -> { });
        assertThatThrownBy(() -> t.onChunk("{\"response\":\"a\"}\nnot json\n".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(MaskingException.class)
                .hasMessage("NDJSON line 2 is not valid JSON (line 1, column 1)");
    }
}
