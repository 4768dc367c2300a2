package io.gatehouse.gateway.admin;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code since} of queries and exports: a duration back from now ({@code 90s}, {@code 15m},
 * {@code 1h}, {@code 7d}), an instant ({@code 2026-03-01T10:00:00Z}) or a UTC date
 * ({@code 2026-03-01}).
 */
public final class Since {

    public static final String EXPECTED = "a duration back from now (90s, 15m, 1h, 7d), an instant"
            + " (2026-03-01T10:00:00Z) or a date (2026-03-01)";

    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(s|m|h|d)");

    private Since() {
    }

    /**
     * @throws IllegalArgumentException naming what is expected
     */
    public static Instant parse(String text, Clock clock) {
        String t = text.trim();
        Matcher m = DURATION.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration back = switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            return clock.instant().minus(back);
        }
        try {
            return Instant.parse(t);
        } catch (DateTimeParseException notInstant) {
            try {
                return LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException notDate) {
                throw new IllegalArgumentException("'" + text + "' is not " + EXPECTED);
            }
        }
    }
}
