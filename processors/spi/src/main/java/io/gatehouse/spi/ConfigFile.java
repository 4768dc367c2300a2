package io.gatehouse.spi;

import java.util.Objects;

/**
 * One bound file of a {@link ConfigDirectory}: its path, its record, and where each of its fields
 * was written, so that a factory can report what is wrong across files (a policy naming an endpoint
 * that does not exist) at the exact line.
 *
 * @param path    relative to the config directory, with {@code /} separators:
 *                {@code policies/analysts.yaml}
 * @param value   the bound record
 * @param locator where a field path was written in the file
 * @param <D>     the record type of the directory
 */
public record ConfigFile<D extends Record>(String path, D value, Locator locator) {

    /** Finds where a field was written. */
    @FunctionalInterface
    public interface Locator {
        /**
         * The 1-based line and column of a field path such as {@code rules[2].endpoints[0]}, or of the
         * nearest enclosing field that was written; {@code {1, 1}} for the empty path.
         */
        int[] locate(String fieldPath);
    }

    public ConfigFile {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(locator, "locator");
    }

    /** The record as its type, e.g. {@code file.as(PolicyFile.class)}. */
    public <T extends Record> T as(Class<T> type) {
        return type.cast(value);
    }

    /**
     * An error at a field of this file, to throw from {@link ProcessorFactory#configureDirectory}; the
     * gateway reports it as {@code policies/a.yaml:12:9: field 'rules[0].endpoints[0]': message}.
     *
     * @param fieldPath the field at fault, e.g. {@code rules[0].endpoints[0]}; empty for the whole file
     * @param message   what is wrong and what is expected
     */
    public ConfigFileException error(String fieldPath, String message) {
        int[] at = locator.locate(fieldPath);
        return new ConfigFileException(path, at[0], at[1], fieldPath, message);
    }
}
