package io.gatehouse.spi;

/**
 * A {@link ConfigException} positioned in one file of a {@link ConfigDirectory}; made by
 * {@link ConfigFile#error}. {@link #format()} is the line the gateway prints.
 */
public class ConfigFileException extends ConfigException {

    private final String file;
    private final int line;
    private final int column;

    /**
     * @param file    relative to the config directory, e.g. {@code policies/analysts.yaml}
     * @param line    1-based
     * @param column  1-based
     * @param field   the field path at fault, or empty for the whole file
     * @param message what is wrong and what is expected
     */
    public ConfigFileException(String file, int line, int column, String field, String message) {
        super(field, message);
        this.file = file;
        this.line = line;
        this.column = column;
    }

    public String file() {
        return file;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }

    /** {@code policies/analysts.yaml:12:9: field 'rules[0].endpoints[0]': unknown endpoint 'x'}. */
    public String format() {
        String where = field() == null || field().isEmpty() ? "" : "field '" + field() + "': ";
        return file + ":" + line + ":" + column + ": " + where + getMessage();
    }
}
