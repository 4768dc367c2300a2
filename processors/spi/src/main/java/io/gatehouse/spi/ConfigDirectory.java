package io.gatehouse.spi;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A sub-directory of the config directory that a {@link ProcessorFactory} owns, e.g. the
 * {@code policy} factory owns {@code policies/}. Every {@code *.yaml} (or {@code *.yml}) file in it
 * is bound strictly to {@link #type()}, with the same error format as a pipeline step
 * ({@code policies/analysts.yaml:7:5: field 'rules[0].when': ...}); files starting with {@code .}
 * are ignored, an empty file is an error. The factory receives every bound file, in file-name
 * order, once per config load in {@link ProcessorFactory#configureDirectory}, after
 * {@link ProcessorFactory#configureGateway} and before any {@link ProcessorFactory#create}. An
 * absent directory delivers no files.
 *
 * <p>A name is unique in the gateway: a factory claiming {@code endpoints} or another factory's
 * directory fails the start, naming both. Files in a directory that no factory owns are errors,
 * so nobody believes a file applies when nothing reads it.
 *
 * @param name the sub-directory: a lower-case letter, then lower-case letters, digits and dashes
 * @param type the record each file binds to; same component types as a step's config record
 * @param <D>  the files' record
 */
public record ConfigDirectory<D extends Record>(String name, Class<D> type) {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]*");

    public ConfigDirectory {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a config directory name is a lower-case letter followed by lower-case"
                    + " letters, digits and dashes, got '" + name + "'");
        }
    }

    public static <D extends Record> ConfigDirectory<D> of(String name, Class<D> type) {
        return new ConfigDirectory<>(name, type);
    }
}
