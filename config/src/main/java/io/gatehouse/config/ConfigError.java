package io.gatehouse.config;

import java.util.Comparator;
import java.util.Objects;

/**
 * One thing wrong with the config, positioned in its file.
 *
 * @param file    path relative to the config directory, with {@code /} separators, e.g.
 *                {@code endpoints/chat.yaml}
 * @param line    1-based line; 0 when the error concerns the file as a whole (e.g. it is missing)
 * @param column  1-based column; 0 with line 0
 * @param where   what the error applies to, e.g. {@code endpoint 'chat' step 'limits' field 'requestTimeout'};
 *                empty when nothing narrower than the file applies
 * @param message what is wrong and what is expected; never a secret's value
 */
public record ConfigError(String file, int line, int column, String where, String message) {

    /** File, then line, then column. */
    public static final Comparator<ConfigError> ORDER = Comparator.comparing(ConfigError::file)
            .thenComparingInt(ConfigError::line)
            .thenComparingInt(ConfigError::column);

    public ConfigError {
        Objects.requireNonNull(file, "file");
        where = where == null ? "" : where;
        Objects.requireNonNull(message, "message");
    }

    /**
     * {@code endpoints/chat.yaml:7:5: endpoint 'chat' step 'limits' field 'requestTimeout': value 'soon' (expected: ...)};
     * without {@code :line:col} when line is 0 and without {@code where: } when where is empty.
     */
    public String format() {
        StringBuilder b = new StringBuilder(file);
        if (line > 0) {
            b.append(':').append(line).append(':').append(column);
        }
        b.append(": ");
        if (!where.isEmpty()) {
            b.append(where).append(": ");
        }
        return b.append(message).toString();
    }

    @Override
    public String toString() {
        return format();
    }
}
