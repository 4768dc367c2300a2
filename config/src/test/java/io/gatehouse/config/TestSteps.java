package io.gatehouse.config;

import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Secret;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/** Step config records standing in for the real processors', which live in other modules. */
final class TestSteps {

    /** Like the limits step: sizes and a duration; a zero timeout is rejected by the constructor. */
    record LimitsConfig(ByteSize maxBodyBytes, ByteSize maxHeaderBytes, Duration requestTimeout) {
        LimitsConfig {
            if (requestTimeout != null && (requestTimeout.isZero() || requestTimeout.isNegative())) {
                throw new ConfigException("requestTimeout", "must be positive, got " + requestTimeout);
            }
        }
    }

    /** Like the auth step: jwksUrl is required by the constructor; an optional secret. */
    record AuthConfig(URI jwksUrl, String issuer, String audience, Secret clientSecret) {
        AuthConfig {
            if (jwksUrl == null) {
                throw new ConfigException("jwksUrl", "is required");
            }
        }
    }

    record HeaderStampConfig(String name, String value) {
    }

    /** An enum, a primitive (so required), a set. */
    record RateConfig(Algorithm algorithm, int requests, Duration window, Set<String> groups) {
        enum Algorithm { FIXED_WINDOW, SLIDING_WINDOW }
    }

    static final Map<String, Class<? extends Record>> CATALOGUE = Map.of(
            "limits", LimitsConfig.class,
            "auth", AuthConfig.class,
            "header-stamp", HeaderStampConfig.class,
            "rate", RateConfig.class);

    private TestSteps() {
    }
}
