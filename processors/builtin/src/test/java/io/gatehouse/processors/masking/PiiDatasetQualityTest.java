package io.gatehouse.processors.masking;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Precision and recall of the structured detectors on presidio-research's 1,500 labelled synthetic
 * sentences (test resource {@code pii/synth_dataset_v2.json}, MIT; see its README). A labelled value found
 * by a detection of its type that overlaps it counts as found; a detection that overlaps no labelled value
 * of its type is a false positive. Labelled values that the type's validator rejects on their own (a card
 * number of no known issuer, a phone number libphonenumber calls invalid) are listed apart: recall is
 * gated on the values the validators accept, and the recall over all labels is printed beside it.
 */
class PiiDatasetQualityTest {

    private static final Map<String, String> TYPES = new LinkedHashMap<>();

    static {
        TYPES.put("CREDIT_CARD", Detectors.CREDIT_CARD);
        TYPES.put("PHONE_NUMBER", Detectors.PHONE);
        TYPES.put("EMAIL_ADDRESS", Detectors.EMAIL);
        TYPES.put("IBAN_CODE", Detectors.IBAN);
        TYPES.put("US_SSN", Detectors.US_SSN);
        TYPES.put("IP_ADDRESS", Detectors.IP_ADDRESS);
    }

    private record Label(String type, int start, int end, String value) {
    }

    private static final class Tally {
        int labels;
        int rejected;
        int found;
        int foundAccepted;
        int detections;
        int truePositives;
        final List<String> rejectedValues = new ArrayList<>();
        final List<String> missed = new ArrayList<>();
        final List<String> falsePositives = new ArrayList<>();

        double precision() {
            return detections == 0 ? 1.0 : (double) truePositives / detections;
        }

        double recall() {
            return labels - rejected == 0 ? 1.0 : (double) foundAccepted / (labels - rejected);
        }

        double rawRecall() {
            return labels == 0 ? 1.0 : (double) found / labels;
        }
    }

    private static final Map<String, Tally> TALLIES = new LinkedHashMap<>();

    @BeforeAll
    static void evaluate() throws IOException {
        JsonNode samples;
        try (InputStream in = PiiDatasetQualityTest.class.getResourceAsStream("/pii/synth_dataset_v2.json")) {
            assertThat(in).as("test resource pii/synth_dataset_v2.json").isNotNull();
            samples = new ObjectMapper().readTree(in);
        }
        Masker masker = Masker.of(MaskingConfig.defaults());
        Scanner.Context context = masker.scanner().context();
        TYPES.keySet().forEach(t -> TALLIES.put(t, new Tally()));
        for (JsonNode sample : samples) {
            String text = sample.get("full_text").asText();
            List<Label> labels = new ArrayList<>();
            for (JsonNode span : sample.get("spans")) {
                String type = span.get("entity_type").asText();
                if (TYPES.containsKey(type)) {
                    labels.add(new Label(type, span.get("start_position").asInt(), span.get("end_position").asInt(),
                            span.get("entity_value").asText()));
                }
            }
            List<Scanner.Match> matches = new ArrayList<>();
            masker.scanner().scan(text, 0, true, matches, context);
            for (Label label : labels) {
                Tally tally = TALLIES.get(label.type());
                tally.labels++;
                boolean accepted = acceptedAlone(masker, label);
                if (!accepted) {
                    tally.rejected++;
                    tally.rejectedValues.add(label.value());
                }
                boolean found = matches.stream().anyMatch(m -> m.detector().id.equals(TYPES.get(label.type()))
                        && m.start() < label.end() && label.start() < m.end());
                if (found) {
                    tally.found++;
                    if (accepted) {
                        tally.foundAccepted++;
                    }
                } else if (accepted) {
                    tally.missed.add(label.value() + "  in: " + text.replace('\n', ' '));
                }
            }
            for (Scanner.Match m : matches) {
                String type = typeOf(m.detector().id);
                if (type == null) {
                    continue;
                }
                Tally tally = TALLIES.get(type);
                tally.detections++;
                boolean labelled = labels.stream().anyMatch(l -> l.type().equals(type) && m.start() < l.end()
                        && l.start() < m.end());
                if (labelled) {
                    tally.truePositives++;
                } else {
                    tally.falsePositives.add(text.substring(m.start(), m.end()) + "  in: " + text.replace('\n', ' '));
                }
            }
        }
        print();
    }

    /**
     * Whether the type's validator accepts the labelled value standing alone. For phone numbers that is
     * libphonenumber's verdict only: whether the text around a weakly formatted number says it is one is
     * the detector's business, measured by recall.
     */
    private static boolean acceptedAlone(Masker masker, Label label) {
        if (label.type().equals("PHONE_NUMBER")) {
            return Validators.validPhone(label.value(), MaskingConfig.DEFAULT_PHONE_REGIONS);
        }
        List<Scanner.Match> alone = new ArrayList<>();
        masker.scanner().scan(label.value(), 0, true, alone, masker.scanner().context());
        return alone.stream().anyMatch(m -> m.detector().id.equals(TYPES.get(label.type())));
    }

    private static String typeOf(String detector) {
        return TYPES.entrySet().stream().filter(e -> e.getValue().equals(detector)).map(Map.Entry::getKey)
                .findFirst().orElse(null);
    }

    private static void print() {
        StringBuilder report = new StringBuilder("\nMasking quality on presidio-research synth_dataset_v2.json\n");
        report.append(String.format(Locale.ROOT, "%-14s %6s %9s %6s %9s %10s %8s %11s%n", "type", "labels",
                "rejected", "found", "recall", "raw recall", "detected", "precision"));
        TALLIES.forEach((type, t) -> report.append(String.format(Locale.ROOT, "%-14s %6d %9d %6d %9.3f %10.3f %8d %11.3f%n",
                type, t.labels, t.rejected, t.found, t.recall(), t.rawRecall(), t.detections, t.precision())));
        TALLIES.forEach((type, t) -> {
            if (!t.rejectedValues.isEmpty()) {
                report.append(type).append(" labelled but rejected by the validator: ").append(t.rejectedValues)
                        .append('\n');
            }
            t.missed.forEach(m -> report.append(type).append(" missed: ").append(m).append('\n'));
            t.falsePositives.forEach(f -> report.append(type).append(" false positive: ").append(f).append('\n'));
        });
        System.out.println(report);
    }

    @Test
    void everyStructuredTypeReachesRecall095AndPrecision090() {
        Map<String, String> below = new TreeMap<>();
        TALLIES.forEach((type, t) -> {
            if (t.recall() < 0.95 || t.precision() < 0.90) {
                below.put(type, String.format(Locale.ROOT, "recall %.3f, precision %.3f", t.recall(), t.precision()));
            }
        });
        assertThat(below).as("types below recall 0.95 or precision 0.90").isEmpty();
    }

    @Test
    void theDatasetHasTheLabelCountsItsReadmeStates() {
        assertThat(TALLIES.get("CREDIT_CARD").labels).isEqualTo(136);
        assertThat(TALLIES.get("PHONE_NUMBER").labels).isEqualTo(92);
        assertThat(TALLIES.get("EMAIL_ADDRESS").labels).isEqualTo(49);
        assertThat(TALLIES.get("IBAN_CODE").labels).isEqualTo(21);
        assertThat(TALLIES.get("US_SSN").labels).isEqualTo(16);
        assertThat(TALLIES.get("IP_ADDRESS").labels).isEqualTo(14);
    }
}
