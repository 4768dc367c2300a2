package io.gatehouse.processors.limits;

import io.gatehouse.processors.support.Durations;
import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ConfigException;
import java.time.Duration;

/**
 * Config of the {@code limits} step. Every component may be left out: a null takes the default.
 *
 * <pre>{@code
 * - limits: { maxBodyBytes: 1MiB, maxHeaderBytes: 16KiB, requestTimeout: 120s }
 * }</pre>
 *
 * @param maxBodyBytes   largest request body accepted; larger is answered 413. Default 1MiB.
 * @param maxHeaderBytes largest request header block accepted, counted as on the wire
 *                       ({@code name: value\r\n} per value); larger is answered 431. Default 16KiB.
 * @param requestTimeout how long the whole exchange may take, streaming included; the gateway
 *                       cancels the call to the agent at this deadline and answers 504. Default 120s.
 */
public record LimitsConfig(ByteSize maxBodyBytes, ByteSize maxHeaderBytes, Duration requestTimeout) {

    public static final ByteSize DEFAULT_MAX_BODY_BYTES = ByteSize.ofBytes(1024 * 1024);
    public static final ByteSize DEFAULT_MAX_HEADER_BYTES = ByteSize.ofBytes(16 * 1024);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(120);

    public LimitsConfig {
        maxBodyBytes = maxBodyBytes == null ? DEFAULT_MAX_BODY_BYTES : maxBodyBytes;
        maxHeaderBytes = maxHeaderBytes == null ? DEFAULT_MAX_HEADER_BYTES : maxHeaderBytes;
        requestTimeout = requestTimeout == null ? DEFAULT_REQUEST_TIMEOUT : requestTimeout;
        if (maxBodyBytes.bytes() < 1) {
            throw new ConfigException("maxBodyBytes", "must be at least 1 byte, got " + maxBodyBytes);
        }
        if (maxHeaderBytes.bytes() < 1) {
            throw new ConfigException("maxHeaderBytes", "must be at least 1 byte, got " + maxHeaderBytes);
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new ConfigException("requestTimeout",
                    "must be positive, got " + Durations.format(requestTimeout));
        }
    }

    /** Every default: 1MiB body, 16KiB headers, 120s. */
    public static LimitsConfig defaults() {
        return new LimitsConfig(null, null, null);
    }
}
