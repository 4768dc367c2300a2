package io.gatehouse.processors.masking;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The email detector's anchor ({@code @} within 65 characters of its start) is a shortcut only: a scanner that
 * uses it finds exactly what one without it finds, and decides as far, on whole texts and on texts that more may
 * follow. Values of the other detectors around it must not be disturbed either.
 */
class ScannerAnchorTest {

    private static final List<Detector> ANCHORED = Detectors.of(MaskingConfig.defaults());
    private static final List<Detector> UNANCHORED = ANCHORED.stream().map(d -> d.anchoredBy(null, 0)).toList();

    /** The matches as start, end, detector id and openness (the two lists hold different Detector objects). */
    private static List<String> scan(List<Detector> detectors, String text, boolean atEnd, int[] decided) {
        Scanner scanner = new Scanner(detectors, MaskingConfig.defaults().window());
        List<Scanner.Match> out = new ArrayList<>();
        decided[0] = scanner.scan(text, 0, atEnd, out, scanner.context());
        return out.stream().map(m -> m.start() + "-" + m.end() + " " + m.detector().id + (m.open() ? " open" : ""))
                .toList();
    }

    private static void sameEitherWay(String text) {
        for (boolean atEnd : new boolean[] {true, false}) {
            int[] withAnchor = new int[1];
            int[] without = new int[1];
            assertThat(scan(ANCHORED, text, atEnd, withAnchor)).as("atEnd=%s: %s", atEnd, text)
                    .isEqualTo(scan(UNANCHORED, text, atEnd, without));
            assertThat(withAnchor[0]).as("decided up to, atEnd=%s: %s", atEnd, text).isEqualTo(without[0]);
        }
    }

    @Test
    void theEmailDetectorDeclaresItsAnchor() {
        assertThat(ANCHORED).filteredOn(d -> d.id.equals(Detectors.EMAIL)).allMatch(d -> "@".equals(d.anchor));
    }

    @Test
    void ibansAndIpv6AddressesAtEveryCutAreFoundAlike() {
        for (String value : new String[] {"GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "fe80::1ff:fe23:4567:890a",
                "2001:db8::8a2e:370:7334", "::1"}) {
            for (int n = 1; n <= value.length(); n++) {
                sameEitherWay("sent to " + value.substring(0, n));
                sameEitherWay("sent to " + value.substring(0, n) + " today");
                sameEitherWay(value.substring(0, n));
            }
        }
        sameEitherWay("abcd: not an address, GBxx no IBAN, GB8 short, beef:cafe::1 is one");
    }

    @Test
    void emailsAtEveryDistanceFromTheirAtSignAreFoundAlike() {
        String local = "a".repeat(70);
        for (int n = 1; n <= 70; n++) {
            sameEitherWay("write to " + local.substring(0, n) + "@example.com today");
            sameEitherWay(local.substring(0, n) + "@example.com");
            sameEitherWay("prose without the sign " + local.substring(0, n));
            sameEitherWay("prose ending in a partial address " + local.substring(0, n) + "@");
        }
    }

    @Test
    void aSignFarAfterManyWordsStillLetsEarlierWordsBeSkippedAndLaterOnesFound() {
        sameEitherWay("word ".repeat(200) + "bob@example.com and " + "word ".repeat(50) + "eve@example.org");
        sameEitherWay("@ at the start then " + "words ".repeat(30) + "carol@example.net");
    }

    @Test
    void everyCorpusValueInRandomProseIsFoundAlike() {
        Random random = new Random(20261206L);
        String[] words = {"the", "model", "answered", "in", "a", "few", "milliseconds", "and", "x", "per-call", "e.g."};
        for (PiiSamples.Sample sample : PiiSamples.all()) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 40; i++) {
                text.append(words[random.nextInt(words.length)]).append(' ');
                if (i == 20) {
                    text.append(sample.value()).append(' ');
                }
            }
            sameEitherWay(text.toString());
            sameEitherWay(text.substring(0, text.length() / 2 + 7));
        }
    }
}
