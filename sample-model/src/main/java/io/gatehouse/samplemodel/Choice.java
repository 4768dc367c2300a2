package io.gatehouse.samplemodel;

import java.util.List;

/** One generated answer: its word pieces (already truncated) and why generation stopped. */
record Choice(int index, List<String> pieces, String finishReason) {

    /** The answer to {@code text}, cut after {@code maxTokens} words when given and shorter than the text. */
    static Choice of(int index, String text, Integer maxTokens) {
        List<String> pieces = Words.split(text);
        if (maxTokens != null && maxTokens < pieces.size()) {
            return new Choice(index, List.copyOf(pieces.subList(0, maxTokens)), "length");
        }
        return new Choice(index, List.copyOf(pieces), "stop");
    }

    String text() {
        return String.join("", pieces);
    }

    int completionTokens() {
        return pieces.size();
    }
}
