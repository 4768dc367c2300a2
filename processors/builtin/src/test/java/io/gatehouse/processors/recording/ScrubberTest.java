package io.gatehouse.processors.recording;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.spi.Headers;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScrubberTest {

    private static final List<String> NAMES = new RecordingConfig(null, null, null, null, null).redactedHeaderNames();

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aTokenSplitAcrossTwoChunksIsReplacedInTheChunkWhereItStarts() {
        Scrubber scrubber = Scrubber.of(new Headers().add("Authorization", "Bearer tok-0123456789"), NAMES);

        List<byte[]> out = scrubber.chunks(List.of(bytes("echo tok-01234"), bytes("56789 done"), bytes("!")));

        assertThat(out).extracting(ScrubberTest::text).containsExactly("echo [redacted]", " done", "!");
    }

    @Test
    void shortValuesAreNotHuntedButTheirHeadersAreStillRedacted() {
        Scrubber scrubber = Scrubber.of(new Headers().add("X-Api-Key", "short"), NAMES);

        assertThat(scrubber.text("a short note")).isEqualTo("a short note");
        assertThat(scrubber.headers(new Headers().add("X-Api-Key", "short"), Bodies.JSON.createObjectNode())
                .toString()).isEqualTo("{\"X-Api-Key\":[\"[redacted]\"]}");
    }

    @Test
    void eachCookieValueIsHuntedOnItsOwn() {
        Scrubber scrubber = Scrubber.of(new Headers().add("Cookie", "a=first-cookie-value; b=second-cookie-value"),
                NAMES);

        assertThat(scrubber.text("x second-cookie-value y")).isEqualTo("x [redacted] y");
    }

    @Test
    void aCutNeverSplitsAUtf8Character() {
        byte[] euro = bytes("ab€cd"); // € is 3 bytes
        assertThat(text(Bodies.cut(euro, 3))).isEqualTo("ab");
        assertThat(text(Bodies.cut(euro, 4))).isEqualTo("ab");
        assertThat(text(Bodies.cut(euro, 5))).isEqualTo("ab€");
        assertThat(text(Bodies.cut(euro, 99))).isEqualTo("ab€cd");
    }
}
