package io.gatehouse.processors.masking;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;

/**
 * Finds every detector's matches in one pass over a text. At each position a table indexed by the
 * character names the detectors whose matches can start with it, in priority order; each one's cheap
 * start condition is checked, and only then its pattern and validator run. Matches do not overlap: the
 * leftmost wins, and at one position the first detector in priority order that accepts.
 *
 * <p><b>Incomplete text.</b> When more text may follow (a stream), a position whose outcome could still
 * change — a pattern read up to the end of the text, so the next characters could complete, extend or
 * spoil a match — is not decided: {@link #scan} stops there and says so, and the caller holds the rest back.
 * Every decision depends only on the text from 48 characters before the decided point (phone context words)
 * to at most {@code window} characters after it, so masking a text in pieces gives exactly what masking it
 * whole gives.
 *
 * <p>Immutable and thread-safe; the matchers live in a {@link Context}, one per sequential caller.
 */
final class Scanner {

    /** A match {@code [start, end)}; {@code open} when an open-ended value runs on past the end of the text. */
    record Match(int start, int end, Detector detector, boolean open) {
    }

    /**
     * Reusable matchers for one sequential caller, each made when its detector's pattern first runs: most
     * texts reach the patterns of few detectors (the start conditions turn the rest away), and a matcher
     * for each of them was 13 KB of garbage per exchange of the benchmark's full pipeline.
     */
    final class Context {
        private final Matcher[] each = new Matcher[detectors.length];
        private CharSequence text;

        private Context() {
        }

        private Matcher matcher(int detector, CharSequence text) {
            if (this.text != text) {
                this.text = text;
                for (Matcher m : each) {
                    if (m != null) {
                        m.reset(text); // keeps the transparent, non-anchoring bounds
                    }
                }
            }
            Matcher m = each[detector];
            if (m == null) {
                m = detectors[detector].pattern.matcher(text).useTransparentBounds(true).useAnchoringBounds(false);
                each[detector] = m;
            }
            return m;
        }
    }

    private static final int[] NONE = new int[0];
    private static final Match WAIT = new Match(-1, -1, null, false);

    private final Detector[] detectors;
    /** For each ASCII character, the detectors (indexes, priority order) whose matches may start with it. */
    private final int[][] byChar = new int[128][];
    private final int[] nonAscii;
    private final int window;
    /**
     * True when no detector can start a match inside a word: every built-in needs a non-word character
     * (or the start) before it, so the rest of a word is skipped; a custom pattern can start anywhere.
     */
    private final boolean wordStartsOnly;
    /** Per detector, its anchor characters as a table over ASCII ({@link Detector#anchor}), or null. */
    private final boolean[][] anchors;

    Scanner(List<Detector> detectors, int window) {
        this.detectors = detectors.toArray(Detector[]::new);
        this.window = window;
        anchors = new boolean[this.detectors.length][];
        for (int d = 0; d < this.detectors.length; d++) {
            String anchor = this.detectors[d].anchor;
            if (anchor != null) {
                anchors[d] = new boolean[128];
                for (char ch : anchor.toCharArray()) {
                    if (ch >= 128) {
                        throw new IllegalArgumentException("anchors are ASCII characters: " + anchor);
                    }
                    anchors[d][ch] = true;
                }
            }
        }
        for (int c = 0; c < 128; c++) {
            List<Integer> starting = new ArrayList<>();
            for (int d = 0; d < this.detectors.length; d++) {
                String first = this.detectors[d].firstChars;
                if (first == null || first.indexOf(c) >= 0) {
                    starting.add(d);
                }
            }
            byChar[c] = starting.isEmpty() ? NONE : starting.stream().mapToInt(Integer::intValue).toArray();
        }
        List<Integer> any = new ArrayList<>();
        for (int d = 0; d < this.detectors.length; d++) {
            if (this.detectors[d].firstChars == null || this.detectors[d].nonAsciiFirst) {
                any.add(d);
            }
        }
        nonAscii = any.stream().mapToInt(Integer::intValue).toArray();
        wordStartsOnly = detectors.stream().allMatch(d -> d.firstChars != null);
    }

    Context context() {
        return new Context();
    }

    /**
     * Adds the matches of {@code text[from, text.length())} to {@code out}; characters before {@code from} are
     * context for look-behinds and context words only.
     *
     * @param atEnd true when no more text follows; false in a stream
     * @return the end of the decided part: {@code text.length()} when {@code atEnd}; otherwise the first
     *         position whose outcome more text could change (nothing from there on is in {@code out}), or the
     *         end when an open-ended match (the last in {@code out}) runs to it
     */
    int scan(CharSequence text, int from, boolean atEnd, List<Match> out, Context c) {
        int to = text.length();
        int waitFloor = atEnd ? Integer.MAX_VALUE : Math.max(0, to - window);
        int i = from;
        // Per detector, where its anchor next occurs at or after i (-1: nowhere, MIN_VALUE: not looked yet);
        // found lazily, so each character is read once per anchored detector.
        int[] nextAnchor = new int[detectors.length];
        java.util.Arrays.fill(nextAnchor, Integer.MIN_VALUE);
        while (i < to) {
            char ch = text.charAt(i);
            int[] candidates = ch < 128 ? byChar[ch] : nonAscii;
            if (candidates.length == 0) {
                i++;
                continue;
            }
            Match match = evaluate(text, i, to, atEnd, i >= waitFloor, candidates, c, nextAnchor);
            if (match == WAIT) {
                return i;
            }
            if (match == null) {
                i++;
                if (wordStartsOnly && Detectors.word(ch)) {
                    while (i < to && Detectors.word(text.charAt(i))) {
                        i++;
                    }
                }
                continue;
            }
            out.add(match);
            if (match.open()) {
                return to;
            }
            i = match.end();
        }
        return to;
    }

    /** The first detector, in priority order, that accepts a value at {@code start}; WAIT when undecidable yet. */
    private Match evaluate(CharSequence text, int start, int to, boolean atEnd, boolean mayWait, int[] candidates,
                           Context c, int[] nextAnchor) {
        for (int index : candidates) {
            Detector d = detectors[index];
            if (anchors[index] != null && !anchorNear(text, start, to, atEnd, index, nextAnchor)) {
                continue;
            }
            if (!d.start.may(text, start, to)) {
                continue;
            }
            Matcher m = c.matcher(index, text);
            m.region(start, to);
            boolean found = m.lookingAt();
            if (mayWait && m.hitEnd()) {
                return WAIT;
            }
            if (!found) {
                continue;
            }
            int end = d.validator.accept(text, start, m.end());
            if (end < 0) {
                continue;
            }
            if (d.continuation == null) {
                return new Match(start, end, d, false);
            }
            return continueMatch(text, start, end, to, atEnd, d);
        }
        return null;
    }

    /**
     * False when no match of detector {@code d} can start at {@code start}: its anchor is not within its reach, and the
     * text goes on that far or ends there. True otherwise (the start condition and the pattern then decide).
     */
    private boolean anchorNear(CharSequence text, int start, int to, boolean atEnd, int d, int[] nextAnchor) {
        int next = nextAnchor[d];
        if (next != -1 && next < start) {
            next = indexOf(text, anchors[d], start, to);
            nextAnchor[d] = next;
        }
        int reachEnd = start + detectors[d].anchorReach;
        if (next >= 0 && next < reachEnd) {
            return true;
        }
        // At exactly reachEnd == to the start conditions still say "may" (more text could follow), so do we.
        return !atEnd && reachEnd >= to;
    }

    private static int indexOf(CharSequence text, boolean[] anyOf, int from, int to) {
        for (int i = from; i < to; i++) {
            char ch = text.charAt(i);
            if (ch < 128 && anyOf[ch]) {
                return i;
            }
        }
        return -1;
    }

    private static Match continueMatch(CharSequence text, int start, int end, int to, boolean atEnd, Detector d) {
        if (d.continuation instanceof Detector.Chars chars) {
            int e = end;
            while (e < to && chars.accepts().test(text.charAt(e))) {
                e++;
            }
            return new Match(start, e, d, e == to && !atEnd);
        }
        Detector.Until until = (Detector.Until) d.continuation;
        Matcher m = until.end().matcher(text);
        if (m.region(end, to).find()) {
            return new Match(start, m.end(), d, false);
        }
        return new Match(start, to, d, !atEnd);
    }
}
