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

    /** Like the real recording step; its masking block reduced to what the demo sets. */
    record RecordingConfig(ByteSize maxBodyBytes, java.util.List<String> redactHeaders,
                           java.util.List<String> redactJsonFields, Integer retentionDays, RecordingMasking masking) {
        record RecordingMasking(Map<String, String> detectors) {
        }
    }

    /** Like the real auth step: names providers of the identity section. */
    record ProvidersAuthConfig(java.util.List<String> providers, Boolean forwardIdentity) {
    }

    /** Like the real identity section: providers by name; an issuer is required. */
    record IdentitySection(Map<String, Provider> providers, Integer cacheSize) {
        IdentitySection {
            providers = providers == null ? Map.of() : providers;
        }

        record Provider(String issuer, java.util.List<String> audiences, Duration clockSkew) {
            Provider {
                if (issuer == null) {
                    throw new ConfigException("issuer", "is required");
                }
            }
        }
    }

    static final Map<String, Class<? extends Record>> SECTIONS = Map.of("identity", IdentitySection.class);

    /** The demo example's steps with the real shapes of auth. */
    static final Map<String, Class<? extends Record>> DEMO_CATALOGUE = Map.of(
            "recording", RecordingConfig.class,
            "limits", LimitsConfig.class,
            "auth", ProvidersAuthConfig.class,
            "policy", PolicyStepConfig.class,
            "approval", ApprovalStepConfig.class,
            "masking", MaskingStepConfig.class,
            "header-stamp", HeaderStampConfig.class);

    /** Like the real masking step, reduced to what the demo sets. */
    record MaskingStepConfig(java.util.List<String> exemptGroups) {
    }

    /** Like the real approval step, reduced to what the demo sets. */
    record ApprovalStepConfig(java.util.List<String> approvers) {
    }

    /** Like the real policy step. */
    record PolicyStepConfig(Boolean filterModelLists) {
    }

    /** Like a policy file: its rules kept as YAML (the real record lives in the processors module). */
    record PolicyFileStandIn(String name, String description, org.snakeyaml.engine.v2.nodes.Node appliesTo,
                             org.snakeyaml.engine.v2.nodes.Node rules) {
    }

    /** The config directories the demo's factories own. */
    static final Map<String, Class<? extends Record>> DIRECTORIES = Map.of("policies", PolicyFileStandIn.class);

    static final Map<String, Class<? extends Record>> CATALOGUE = Map.of(
            "limits", LimitsConfig.class,
            "auth", AuthConfig.class,
            "header-stamp", HeaderStampConfig.class,
            "rate", RateConfig.class);

    private TestSteps() {
    }
}
