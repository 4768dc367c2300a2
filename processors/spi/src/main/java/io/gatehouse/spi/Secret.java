package io.gatehouse.spi;

import java.util.Objects;

/**
 * A secret value from config. Written in YAML as a reference, {@code env:NAME} or
 * {@code file:/path}, resolved at load. {@link #toString()} never shows the value, so a secret can
 * be logged, printed in an error, or put in a record's {@code toString()} safely.
 */
public final class Secret {

    private final String reference;
    private final String value;

    private Secret(String reference, String value) {
        this.reference = Objects.requireNonNull(reference, "reference");
        this.value = Objects.requireNonNull(value, "value");
    }

    /** A resolved secret; {@code reference} is what the config said, e.g. {@code env:MODEL_KEY}. */
    public static Secret of(String reference, String value) {
        return new Secret(reference, value);
    }

    /** The secret itself. Call it where the value is used, nowhere else. */
    public String reveal() {
        return value;
    }

    /** Where the value came from, e.g. {@code env:MODEL_KEY}; safe to show. */
    public String reference() {
        return reference;
    }

    @Override
    public String toString() {
        return "Secret[" + reference + ", redacted]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && s.reference.equals(reference) && s.value.equals(value);
    }

    @Override
    public int hashCode() {
        return reference.hashCode();
    }
}
