package io.gatehouse.config;

import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ConfigException;

/** The validations the config records share; each throws {@link ConfigException} naming the field. */
final class Checks {

    private Checks() {
    }

    static void required(String field, Object value) {
        if (value == null) {
            throw new ConfigException(field, "is required");
        }
    }

    static void host(String field, String host) {
        required(field, host);
        if (host.isBlank()) {
            throw new ConfigException(field, "must not be empty");
        }
    }

    static void port(String field, int port) {
        if (port < 0 || port > 65535) {
            throw new ConfigException(field, "must be between 0 and 65535 (0 picks a free port), got " + port);
        }
    }

    static void positive(String field, ByteSize size) {
        required(field, size);
        if (size.bytes() == 0) {
            throw new ConfigException(field, "must be at least 1 byte, got 0");
        }
    }
}
