package io.gatehouse.spi;

/**
 * A config value is invalid. Thrown by a config record's constructor or by
 * {@link ProcessorFactory#create}; the loader adds the file, line, column, endpoint and step, so
 * the message says only what is wrong with the field and what is expected.
 */
public class ConfigException extends RuntimeException {

    private final String field;

    /**
     * @param field   the record component at fault, e.g. {@code maxBodyBytes}; null when the error
     *                concerns the whole step
     * @param message what is wrong and what is expected, e.g. {@code "must be positive, got -1"}
     */
    public ConfigException(String field, String message) {
        super(message);
        this.field = field;
    }

    /** The record component at fault, or null. */
    public String field() {
        return field;
    }
}
