package io.gatehouse.samplemodel;

import java.util.ArrayList;
import java.util.List;

/**
 * The sample model's "tokens": whitespace-separated words.
 *
 * <p>{@link #split} keeps the whitespace: each piece is a word with the whitespace before it (the
 * last piece also keeps trailing whitespace), so the streamed pieces concatenate back to the exact
 * text of the non-streamed answer, and a prefix of them is the text truncated after that many words.
 */
final class Words {

    private Words() {
    }

    static int count(String text) {
        int count = 0;
        boolean inWord = false;
        for (int i = 0; i < text.length(); i++) {
            boolean space = Character.isWhitespace(text.charAt(i));
            if (!space && !inWord) {
                count++;
            }
            inWord = !space;
        }
        return count;
    }

    static List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            while (i < text.length() && !Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            pieces.add(text.substring(start, i));
            start = i;
        }
        int last = pieces.size() - 1;
        if (last > 0 && pieces.get(last).isBlank()) {
            pieces.set(last - 1, pieces.get(last - 1) + pieces.remove(last));
        }
        return pieces;
    }
}
