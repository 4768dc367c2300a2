package io.gatehouse.processors.auth;

import io.gatehouse.processors.support.Durations;
import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ConfigException;
import java.time.Duration;

/**
 * How the signing keys of an identity provider are fetched and kept. The same timeout and size bound
 * apply to its discovery document.
 *
 * <p>Keys fetched at T are fresh until T + {@code cacheTtl}; after that a refresh is started in the
 * background while requests go on with the cached keys. A token naming a key id not in the cache
 * causes at most one fetch per {@code refreshInterval}. While the identity provider cannot be
 * reached, cached keys keep working until T + {@code maxStaleness}; then every request is answered
 * 503 until a fetch succeeds: the gateway fails closed, never open.
 *
 * @param cacheTtl        how long fetched keys are fresh; default 5m
 * @param refreshInterval the least time between two fetches (unknown key ids, retries while the
 *                        identity provider is down); default 30s, at most {@code cacheTtl}
 * @param maxStaleness    the oldest key set still used while refreshes fail; default 1h, at least {@code cacheTtl}
 * @param timeout         bound on one fetch, connecting included; default 3s
 * @param maxBytes        the largest JWKS or discovery document read; default 256KiB
 */
public record JwksConfig(Duration cacheTtl, Duration refreshInterval, Duration maxStaleness, Duration timeout,
                         ByteSize maxBytes) {

    public JwksConfig {
        cacheTtl = Checks.duration("cacheTtl", cacheTtl, Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofHours(24));
        refreshInterval = Checks.duration("refreshInterval", refreshInterval, Duration.ofSeconds(30),
                Duration.ofSeconds(1), Duration.ofHours(1));
        if (refreshInterval.compareTo(cacheTtl) > 0) {
            throw new ConfigException("refreshInterval", "must not be longer than cacheTtl ("
                    + Durations.format(cacheTtl) + "), got " + Durations.format(refreshInterval));
        }
        maxStaleness = Checks.duration("maxStaleness", maxStaleness, Duration.ofHours(1), Duration.ofSeconds(1),
                Duration.ofDays(7));
        if (maxStaleness.compareTo(cacheTtl) < 0) {
            throw new ConfigException("maxStaleness", "must not be shorter than cacheTtl ("
                    + Durations.format(cacheTtl) + "), got " + Durations.format(maxStaleness));
        }
        timeout = Checks.duration("timeout", timeout, Duration.ofSeconds(3), Duration.ofMillis(100), Duration.ofSeconds(30));
        maxBytes = Checks.size("maxBytes", maxBytes, ByteSize.ofBytes(256 * 1024), 1024, 10L * 1024 * 1024);
    }

    public static JwksConfig defaults() {
        return new JwksConfig(null, null, null, null, null);
    }
}
