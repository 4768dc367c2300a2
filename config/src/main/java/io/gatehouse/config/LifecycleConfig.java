package io.gatehouse.config;

import java.time.Duration;

/**
 * How the running gateway takes config changes and how it stops, from {@code gateway.yaml}'s
 * {@code reload:} and {@code shutdown:} sections.
 *
 * @param watch        apply a changed config directory as soon as its files change ({@code reload.watch},
 *                     default false: reload with {@code gatehouse reload}, the admin API or SIGHUP)
 * @param watchDelay   how long the files must stay unchanged before a watched change is applied
 *                     ({@code reload.watchDelay}, default {@value #DEFAULT_WATCH_DELAY_MS} ms), so an editor's
 *                     several writes make one reload
 * @param drainDelay   on SIGTERM, how long {@code /readyz} answers 503 while the listeners still accept,
 *                     so a load balancer stops sending first ({@code shutdown.drainDelay}, default 0 s)
 * @param drainTimeout on SIGTERM, how long requests and streams in flight may take to finish before they
 *                     are ended with an error ({@code shutdown.drainTimeout}, default 30 s)
 */
public record LifecycleConfig(boolean watch, Duration watchDelay, Duration drainDelay, Duration drainTimeout) {

    public static final long DEFAULT_WATCH_DELAY_MS = 500;
    public static final Duration DEFAULT_DRAIN_DELAY = Duration.ZERO;
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration MAX = Duration.ofHours(1);

    public LifecycleConfig {
        Checks.required("watchDelay", watchDelay);
        Checks.required("drainDelay", drainDelay);
        Checks.required("drainTimeout", drainTimeout);
        within("reload.watchDelay", watchDelay);
        within("shutdown.drainDelay", drainDelay);
        within("shutdown.drainTimeout", drainTimeout);
    }

    private static void within(String field, Duration value) {
        if (value.isNegative() || value.compareTo(MAX) > 0) {
            throw new io.gatehouse.spi.ConfigException(field.substring(field.indexOf('.') + 1),
                    "value " + value.toMillis() + "ms (expected: between 0s and 1h)");
        }
    }

    public static LifecycleConfig defaults() {
        return new LifecycleConfig(false, Duration.ofMillis(DEFAULT_WATCH_DELAY_MS), DEFAULT_DRAIN_DELAY,
                DEFAULT_DRAIN_TIMEOUT);
    }
}
