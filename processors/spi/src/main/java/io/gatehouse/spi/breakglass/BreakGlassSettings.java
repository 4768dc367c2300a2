package io.gatehouse.spi.breakglass;

import io.gatehouse.spi.ConfigException;
import java.time.Duration;
import java.util.Set;

/**
 * The {@code breakGlass:} section of {@code gateway.yaml} (owned by the {@code policy} step, read by the
 * admin API):
 *
 * <pre>{@code
 * breakGlass:
 *   groups: [incident-responders]   # who may open a window (and bypass rules marked breakGlass: true in it)
 *   reviewers: [ml-leads]           # who acknowledges each use afterwards
 *   maxWindow: 1h                   # the longest a window stays open
 * }</pre>
 *
 * @param groups    groups whose members may open a break-glass window; empty: break-glass is off
 * @param reviewers groups whose members acknowledge uses (never their own); required with groups
 * @param maxWindow the longest a window may stay open (default 1h, at most 24h)
 */
public record BreakGlassSettings(Set<String> groups, Set<String> reviewers, Duration maxWindow) {

    /** The header a request sends its justification in; mandatory for a bypass. */
    public static final String HEADER = "Gatehouse-Break-Glass";
    public static final Duration DEFAULT_WINDOW = Duration.ofHours(1);
    public static final int MAX_JUSTIFICATION = 500;

    public BreakGlassSettings {
        groups = groups == null ? Set.of() : Set.copyOf(groups);
        reviewers = reviewers == null ? Set.of() : Set.copyOf(reviewers);
        maxWindow = maxWindow == null ? DEFAULT_WINDOW : maxWindow;
        if (!groups.isEmpty() && reviewers.isEmpty()) {
            throw new ConfigException("reviewers", "is required with groups: who acknowledges each break-glass use");
        }
        if (maxWindow.isNegative() || maxWindow.isZero() || maxWindow.compareTo(Duration.ofHours(24)) > 0) {
            throw new ConfigException("maxWindow", "must be positive and at most 24h");
        }
    }

    public static BreakGlassSettings off() {
        return new BreakGlassSettings(null, null, null);
    }

    public boolean enabled() {
        return !groups.isEmpty();
    }
}
