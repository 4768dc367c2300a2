package io.gatehouse.processors.masking;

import java.util.function.IntPredicate;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * One way to find a kind of value: a bounded candidate pattern and a validator that accepts, shortens or
 * rejects what the pattern found. Several detectors may share an id ({@code ip-address} has one for IPv4 and
 * one for IPv6); reports count by id. Immutable.
 *
 * <p>A detector with a {@link Continuation} is open-ended: its pattern finds a decisive prefix (a private
 * key's BEGIN line, an API key's first characters) and the match then runs on as long as the continuation
 * says, however long that is. In a stream the mask (e.g. [SECRET]) goes out as soon as the prefix is seen and the
 * rest of the value is swallowed as it arrives.
 */
final class Detector {

    /** Accepts a candidate {@code [start, end)} of {@code text}: returns the accepted end (≤ end), or -1. */
    interface Validator {
        int accept(CharSequence text, int start, int end);
    }

    /**
     * A cheap necessary condition for the pattern to match at {@code i} — now, or once more text follows
     * {@code to}: false only when it certainly cannot. It spares the regex engine most positions.
     */
    interface Start {
        boolean may(CharSequence text, int i, int to);

        Start ANY = (t, i, to) -> true;
    }

    /** How an open-ended match continues after its prefix. */
    sealed interface Continuation permits Chars, Until {
    }

    /** The match runs on while characters satisfy the predicate. */
    record Chars(IntPredicate accepts) implements Continuation {
    }

    /** The match runs on until {@code end} has matched (inclusive); {@code maxEndLength} bounds that marker. */
    record Until(Pattern end, int maxEndLength) implements Continuation {
    }

    final String id;
    final String label;
    final Pattern pattern;
    final Strategy strategy;
    final Validator validator;
    final Continuation continuation;
    final UnaryOperator<String> normalizer;
    /** The ASCII characters a match can start with; null when any character can. */
    final String firstChars;
    /** True when a match can start with a non-ASCII character. */
    final boolean nonAsciiFirst;
    final Start start;
    /**
     * Characters one of which every match holds within {@link #anchorReach} characters from its start ({@code @}
     * for an email, a digit for an IBAN), or null. Where none is that near, {@link #start} is false, so the
     * scanner looks them up once per text instead of asking at every word.
     */
    final String anchor;
    final int anchorReach;

    Detector(String id, String label, Pattern pattern, Strategy strategy, Validator validator,
             Continuation continuation, UnaryOperator<String> normalizer) {
        this(id, label, pattern, strategy, validator, continuation, normalizer, null, true, Start.ANY, null, 0);
    }

    Detector(String id, String label, Pattern pattern, Strategy strategy, Validator validator,
             Continuation continuation, UnaryOperator<String> normalizer, String firstChars, boolean nonAsciiFirst,
             Start start, String anchor, int anchorReach) {
        this.id = id;
        this.label = label;
        this.pattern = pattern;
        this.strategy = strategy;
        this.validator = validator;
        this.continuation = continuation;
        this.normalizer = normalizer;
        this.firstChars = firstChars;
        this.nonAsciiFirst = nonAsciiFirst;
        this.start = start;
        this.anchor = anchor;
        this.anchorReach = anchorReach;
    }

    /** The same detector with a cheap start condition: which characters a match begins with, and more. */
    Detector startingWith(String firstChars, Start start) {
        return new Detector(id, label, pattern, strategy, validator, continuation, normalizer, firstChars, false, start,
                anchor, anchorReach);
    }

    /** The same detector starting with {@code firstChars} or any non-ASCII character. */
    Detector startingWithOrNonAscii(String firstChars, Start start) {
        return new Detector(id, label, pattern, strategy, validator, continuation, normalizer, firstChars, true, start,
                anchor, anchorReach);
    }

    /**
     * The same detector, declaring that its start condition is false wherever none of the {@code anchor}
     * characters is among the {@code reach} characters from the start on (and the text goes on that far);
     * null for none.
     */
    Detector anchoredBy(String anchor, int reach) {
        return new Detector(id, label, pattern, strategy, validator, continuation, normalizer, firstChars,
                nonAsciiFirst, start, anchor, reach);
    }

    @Override
    public String toString() {
        return "Detector[" + id + ", " + strategy + "]";
    }
}
