package io.gatehouse.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Phase;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

class AuthConfigTest {

    private static final URI JWKS = URI.create("https://idp.test/realms/ml/protocol/openid-connect/certs");
    private static final String ISSUER = "https://idp.test/realms/ml";
    private static final String EXPECTED = "(expected: any of ES256, ES384, ES512, PS256, PS384, PS512, RS256, RS384,"
            + " RS512)";

    private static AuthConfig withAlgorithms(Set<String> algorithms) {
        return new AuthConfig(JWKS, ISSUER, List.of("chat"), algorithms, null, null, null, null, null);
    }

    private static AbstractThrowableAssert<?, ?> refused(Runnable construct, String field) {
        return assertThatThrownBy(construct::run).isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).field()).isEqualTo(field));
    }

    @Test
    void everyOptionalComponentTakesItsDefault() {
        AuthConfig config = AuthConfig.of(JWKS, ISSUER, "chat");

        assertThat(config.audiences()).containsExactly("chat");
        assertThat(config.algorithms()).containsExactly("ES256", "PS256", "RS256");
        assertThat(config.clockSkew()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.maxTokenBytes()).isEqualTo(ByteSize.parse("16KiB"));
        assertThat(config.jwksRefreshInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.jwksCacheTtl()).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.groupsClaim()).isEqualTo("groups");
    }

    @Test
    void noneAmongTheAlgorithmsIsRefused() {
        refused(() -> withAlgorithms(new LinkedHashSet<>(List.of("RS256", "none"))), "algorithms")
                .hasMessage("'none' is not allowed: unsigned tokens are never accepted " + EXPECTED);
    }

    @Test
    void hs256AmongTheAlgorithmsIsRefused() {
        refused(() -> withAlgorithms(Set.of("HS256")), "algorithms")
                .hasMessage("'HS256' is not allowed: with a shared-secret (HMAC) algorithm whoever can verify a token"
                        + " can also forge one " + EXPECTED);
    }

    @Test
    void anUnknownAlgorithmIsRefused() {
        refused(() -> withAlgorithms(Set.of("rs256")), "algorithms")
                .hasMessage("'rs256' is not a supported signature algorithm " + EXPECTED);
    }

    @Test
    void anEmptyAlgorithmSetIsRefused() {
        refused(() -> withAlgorithms(Set.of()), "algorithms")
                .hasMessage("must name at least one algorithm " + EXPECTED);
    }

    @Test
    void emptyAudiencesAreRefused() {
        refused(() -> new AuthConfig(JWKS, ISSUER, List.of(), null, null, null, null, null, null), "audiences")
                .hasMessage("must name at least one audience: the aud value a token for this endpoint carries");
        refused(() -> new AuthConfig(JWKS, ISSUER, null, null, null, null, null, null, null), "audiences")
                .hasMessage("must name at least one audience: the aud value a token for this endpoint carries");
    }

    @Test
    void aBlankAudienceIsRefused() {
        refused(() -> AuthConfig.of(JWKS, ISSUER, "chat", " "), "audiences")
                .hasMessage("must not contain a blank audience");
    }

    @Test
    void theJwksUrlIsRequiredAndMustBeHttp() {
        refused(() -> AuthConfig.of(null, ISSUER, "chat"), "jwksUrl")
                .hasMessage("is required: the URL of the identity provider's JSON Web Key Set,"
                        + " e.g. https://idp.example/realms/ml/protocol/openid-connect/certs");
        refused(() -> AuthConfig.of(URI.create("file:/etc/keys.json"), ISSUER, "chat"), "jwksUrl")
                .hasMessage("must be an absolute http or https URL, got 'file:/etc/keys.json'");
        refused(() -> AuthConfig.of(URI.create("/certs"), ISSUER, "chat"), "jwksUrl")
                .hasMessage("must be an absolute http or https URL, got '/certs'");
    }

    @Test
    void theIssuerIsRequired() {
        refused(() -> AuthConfig.of(JWKS, " ", "chat"), "issuer")
                .hasMessage("is required: the exact iss value of the tokens this endpoint accepts,"
                        + " e.g. https://idp.example/realms/ml");
    }

    @Test
    void theClockSkewIsBounded() {
        refused(() -> new AuthConfig(JWKS, ISSUER, List.of("chat"), null, Duration.ofMinutes(10), null, null, null,
                null), "clockSkew").hasMessage("must be between 0s and 5m, got 10m");
        refused(() -> new AuthConfig(JWKS, ISSUER, List.of("chat"), null, Duration.ofSeconds(-1), null, null, null,
                null), "clockSkew").hasMessage("must be between 0s and 5m, got -1s");
    }

    @Test
    void theTokenSizeLimitIsBounded() {
        refused(() -> new AuthConfig(JWKS, ISSUER, List.of("chat"), null, null, ByteSize.ofBytes(100), null, null,
                null), "maxTokenBytes").hasMessage("must be between 1024 and 1048576 bytes, got 100 bytes");
    }

    @Test
    void theRefetchIntervalMustBeShorterThanTheCacheTtl() {
        refused(() -> new AuthConfig(JWKS, ISSUER, List.of("chat"), null, null, null, Duration.ofMinutes(10), null,
                null), "jwksRefreshInterval").hasMessage("must be shorter than jwksCacheTtl (10m), got 10m");
        refused(() -> new AuthConfig(JWKS, ISSUER, List.of("chat"), null, null, null, Duration.ofMillis(500), null,
                null), "jwksRefreshInterval").hasMessage("must be at least 1s, got 500ms");
    }

    @Test
    void theCacheTtlIsBounded() {
        refused(() -> new AuthConfig(JWKS, ISSUER, List.of("chat"), null, null, null, null, Duration.ofSeconds(30),
                null), "jwksCacheTtl").hasMessage("must be between 1m and 24h, got 30s");
    }

    @Test
    void aBlankGroupsClaimIsRefused() {
        refused(() -> new AuthConfig(JWKS, ISSUER, List.of("chat"), null, null, null, null, null, ""), "groupsClaim")
                .hasMessage("must not be blank");
    }

    @Test
    void theFactoryIsAuthInTheAuthenticatePhase() {
        AuthProcessorFactory factory = new AuthProcessorFactory();

        assertThat(factory.id()).isEqualTo("auth");
        assertThat(factory.phase()).isEqualTo(Phase.AUTHENTICATE);
        assertThat(factory.configType()).isEqualTo(AuthConfig.class);
    }
}
