package io.gatehouse.spi;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A size in bytes, written in config as a number or with a unit: {@code 512}, {@code 16KiB},
 * {@code 1MiB}, {@code 2GiB} (also {@code KB}/{@code MB}/{@code GB}, decimal).
 */
public record ByteSize(long bytes) {

    private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*(B|KIB|MIB|GIB|KB|MB|GB)?");

    public ByteSize {
        if (bytes < 0) {
            throw new ConfigException(null, "a size must not be negative, got " + bytes);
        }
    }

    public static ByteSize ofBytes(long bytes) {
        return new ByteSize(bytes);
    }

    /**
     * Parses {@code 16KiB} and friends.
     *
     * @throws ConfigException naming the expected format
     */
    public static ByteSize parse(String text) {
        Matcher m = FORMAT.matcher(text.trim().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            throw new ConfigException(null, "'" + text + "' is not a size (expected e.g. 512, 16KiB, 1MiB)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2);
        long factor = switch (unit) {
            case "KIB" -> 1024L;
            case "MIB" -> 1024L * 1024;
            case "GIB" -> 1024L * 1024 * 1024;
            case "KB" -> 1000L;
            case "MB" -> 1000L * 1000;
            case "GB" -> 1000L * 1000 * 1000;
            default -> 1L;
        };
        return new ByteSize(Math.multiplyExact(n, factor));
    }

    @Override
    public String toString() {
        return bytes + " bytes";
    }
}
