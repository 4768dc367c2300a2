package io.gatehouse.processors.masking;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * Masks one text that arrives in pieces (an SSE content delta after another, the chunks of a text body).
 * {@link #push} returns the masked text that is safe to pass on now; what could still turn out to be part
 * of a value is held back — in prose, usually the last word — and never more than the scanner's window.
 * {@link #finish} returns the rest. The pieces returned, joined, equal what masking the whole text at
 * once gives. An open-ended secret (a private-key block, an API key) is replaced as soon as its prefix is
 * seen; the rest of it is swallowed as it arrives.
 *
 * <p>Not thread-safe: one per text, used sequentially.
 */
public final class TextStream {

    /** Characters of already-passed text kept for look-behinds and context words (phone: 48). */
    private static final int CONTEXT = 64;

    private final Masker masker;
    private final Scanner.Context scan;
    private final MaskingCounts counts;
    private final List<Scanner.Match> matches = new ArrayList<>();
    private final StringBuilder pending = new StringBuilder();
    private String context = "";
    private Detector open;
    private String openTail = "";

    TextStream(Masker masker, MaskingCounts counts) {
        this.masker = masker;
        this.scan = masker.scanner().context();
        this.counts = counts;
    }

    /** The masked text that may be passed on now; possibly empty. */
    public String push(CharSequence piece) {
        String rest = piece.toString();
        if (open != null) {
            rest = swallow(rest);
            if (rest == null) {
                return "";
            }
        }
        pending.append(rest);
        if (pending.length() == 0) {
            return "";
        }
        String text = context + pending;
        int from = context.length();
        matches.clear();
        int upTo = masker.scanner().scan(text, from, false, matches, scan);
        String out = masker.render(text, from, upTo, matches, counts, null);
        if (!matches.isEmpty() && matches.get(matches.size() - 1).open()) {
            Scanner.Match last = matches.get(matches.size() - 1);
            open = last.detector();
            int keep = open.continuation instanceof Detector.Until until ? until.maxEndLength() : CONTEXT;
            openTail = text.substring(Math.max(last.start() + 1, text.length() - keep));
            context = "";
            pending.setLength(0);
            return out;
        }
        context = text.substring(Math.max(0, upTo - CONTEXT), upTo);
        pending.setLength(0);
        pending.append(text, upTo, text.length());
        return out;
    }

    /** The text is complete: the rest, masked. */
    public String finish() {
        if (open != null) {
            open = null;
            pending.setLength(0);
            return "";
        }
        if (pending.length() == 0) {
            return "";
        }
        String text = context + pending;
        int from = context.length();
        matches.clear();
        masker.scanner().scan(text, from, true, matches, scan);
        pending.setLength(0);
        context = "";
        return masker.render(text, from, text.length(), matches, counts, null);
    }

    /** Characters received but not yet passed on. */
    public int held() {
        return pending.length();
    }

    /** Masked values so far, per detector id. */
    public Map<String, Integer> counts() {
        return counts.snapshot();
    }

    /** Consumes the continuation of an open-ended match; returns what follows it, or null when it runs on. */
    private String swallow(String piece) {
        if (open.continuation instanceof Detector.Chars chars) {
            int i = 0;
            while (i < piece.length() && chars.accepts().test(piece.charAt(i))) {
                i++;
            }
            String seen = openTail + piece.substring(0, i);
            String tail = seen.substring(Math.max(0, seen.length() - CONTEXT));
            if (i == piece.length()) {
                openTail = tail;
                return null;
            }
            open = null;
            openTail = "";
            context = tail;
            return piece.substring(i);
        }
        Detector.Until until = (Detector.Until) open.continuation;
        String search = openTail + piece;
        Matcher m = until.end().matcher(search);
        if (m.find()) {
            open = null;
            openTail = "";
            context = search.substring(Math.max(0, m.end() - CONTEXT), m.end());
            return search.substring(m.end());
        }
        openTail = search.substring(Math.max(0, search.length() - until.maxEndLength()));
        return null;
    }
}
