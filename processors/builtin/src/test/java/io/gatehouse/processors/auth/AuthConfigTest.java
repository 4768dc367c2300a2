package io.gatehouse.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.Secret;
import io.gatehouse.testkit.ProcessorHarness;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

class AuthConfigTest {

    private static final String ISSUER = "https://idp.test/realms/ml";
    private static final String EXPECTED = "(expected: any of ES256, ES384, ES512, PS256, PS384, PS512, RS256, RS384,"
            + " RS512)";

    private static ProviderConfig withAlgorithms(Set<String> algorithms) {
        return new ProviderConfig(ISSUER, List.of("chat"), null, algorithms, null, null, null, null, null, null, null);
    }

    private static AbstractThrowableAssert<?, ?> refused(Runnable construct, String field) {
        return assertThatThrownBy(construct::run).isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).field()).isEqualTo(field));
    }

    @Test
    void everyOptionalProviderComponentTakesItsKeycloakFriendlyDefault() {
        ProviderConfig config = ProviderConfig.of(ISSUER, "chat");

        assertThat(config.audiences()).containsExactly("chat");
        assertThat(config.jwksUri()).isNull();
        assertThat(config.discoveryUrl()).isEqualTo(URI.create(ISSUER + "/.well-known/openid-configuration"));
        assertThat(config.algorithms()).containsExactly("ES256", "PS256", "RS256");
        assertThat(config.clockSkew()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.tokenTypes()).isNull();
        assertThat(config.claims()).isEqualTo(new ClaimsConfig("sub", "preferred_username", "groups",
                ClaimsConfig.GroupNames.NAME, List.of("realm_access.roles", "resource_access.*.roles")));
        assertThat(config.jwks()).isEqualTo(new JwksConfig(Duration.ofMinutes(5), Duration.ofSeconds(30),
                Duration.ofHours(1), Duration.ofSeconds(3), ByteSize.parse("256KiB")));
        assertThat(config.introspection()).isNull();
    }

    @Test
    void theIdentitySectionDefaultsToNoProvidersA16KibTokenLimitAndA10000TokenCache() {
        IdentityConfig config = new IdentityConfig(null, null, null, null, null);

        assertThat(config.providers()).isEmpty();
        assertThat(config.groups()).isEmpty();
        assertThat(config.maxTokenBytes()).isEqualTo(ByteSize.parse("16KiB"));
        assertThat(config.cacheSize()).isEqualTo(10_000);
        assertThat(config.identityToken()).isEqualTo(new IdentityTokenConfig("gatehouse", Duration.ofSeconds(60)));
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
    void anUnknownOrEmptyAlgorithmSetIsRefused() {
        refused(() -> withAlgorithms(Set.of("rs256")), "algorithms")
                .hasMessage("'rs256' is not a supported signature algorithm " + EXPECTED);
        refused(() -> withAlgorithms(Set.of()), "algorithms")
                .hasMessage("must name at least one algorithm " + EXPECTED);
    }

    @Test
    void aProviderWithoutAudienceIsRefusedAtLoad() {
        String message = "must name at least one audience: the aud value the provider puts in tokens meant for this"
                + " gateway (Keycloak: an audience mapper), e.g. audiences: [gatehouse]";
        refused(() -> new ProviderConfig(ISSUER, List.of(), null, null, null, null, null, null, null, null, null),
                "audiences").hasMessage(message);
        refused(() -> new ProviderConfig(ISSUER, null, null, null, null, null, null, null, null, null, null),
                "audiences").hasMessage(message);
        refused(() -> ProviderConfig.of(ISSUER, "chat", " "), "audiences").hasMessage("must not contain a blank value");
    }

    @Test
    void theIssuerIsRequiredAndMustBeAnHttpUrlWithoutQuery() {
        refused(() -> ProviderConfig.of(" ", "chat"), "issuer").hasMessage("is required: the exact iss value of the"
                + " provider's tokens, e.g. https://sso.example/realms/gatehouse");
        refused(() -> ProviderConfig.of("file:/etc/idp", "chat"), "issuer").hasMessage("must be an absolute http or"
                + " https URL without user info or fragment, got 'file:/etc/idp' (e.g. https://sso.example/realms/gatehouse)");
        refused(() -> ProviderConfig.of(ISSUER + "?x=1", "chat"), "issuer")
                .hasMessage("must not have a query (OpenID Connect Discovery), got '" + ISSUER + "?x=1'");
    }

    @Test
    void aJwksUriMustBeHttp() {
        refused(() -> new ProviderConfig(ISSUER, List.of("chat"), URI.create("/certs"), null, null, null, null, null,
                null, null, null), "jwksUri").hasMessage("must be an absolute http or https URL without user info or"
                + " fragment, got '/certs' (e.g. https://sso.example/realms/gatehouse/protocol/openid-connect/certs)");
    }

    @Test
    void theClockSkewIsBounded() {
        refused(() -> new ProviderConfig(ISSUER, List.of("chat"), null, null, Duration.ofMinutes(10), null, null, null,
                null, null, null), "clockSkew").hasMessage("must be between 0s and 5m, got 10m");
        refused(() -> new ProviderConfig(ISSUER, List.of("chat"), null, null, Duration.ofSeconds(-1), null, null, null,
                null, null, null), "clockSkew").hasMessage("must be between 0s and 5m, got -1s");
    }

    @Test
    void jwksTimingsAreBoundedAndConsistent() {
        refused(() -> new JwksConfig(Duration.ofMinutes(1), Duration.ofMinutes(2), null, null, null), "refreshInterval")
                .hasMessage("must not be longer than cacheTtl (1m), got 2m");
        refused(() -> new JwksConfig(Duration.ofMinutes(10), null, Duration.ofMinutes(5), null, null), "maxStaleness")
                .hasMessage("must not be shorter than cacheTtl (10m), got 5m");
        refused(() -> new JwksConfig(null, Duration.ofMillis(500), null, null, null), "refreshInterval")
                .hasMessage("must be between 1s and 1h, got 500ms");
        refused(() -> new JwksConfig(null, null, null, Duration.ofMinutes(1), null), "timeout")
                .hasMessage("must be between 100ms and 30s, got 1m");
        refused(() -> new JwksConfig(null, null, null, null, ByteSize.parse("20MiB")), "maxBytes")
                .hasMessage("must be between 1024 and 10485760 bytes, got 20971520 bytes");
    }

    @Test
    void theTokenSizeLimitAndCacheSizeAreBounded() {
        refused(() -> new IdentityConfig(null, null, ByteSize.ofBytes(100), null, null), "maxTokenBytes")
                .hasMessage("must be between 1024 and 1048576 bytes, got 100 bytes");
        refused(() -> new IdentityConfig(null, null, null, -1, null), "cacheSize")
                .hasMessage("must be between 0 (off) and 1000000, got -1");
    }

    @Test
    void twoProvidersWithOneIssuerAreRefused() {
        Map<String, ProviderConfig> providers = new LinkedHashMap<>();
        providers.put("a", ProviderConfig.of(ISSUER, "chat"));
        providers.put("b", ProviderConfig.of(ISSUER, "other"));

        refused(() -> IdentityConfig.of(providers), "providers").hasMessage("providers 'a' and 'b' have the same issuer "
                + ISSUER + "; a token is verified by the one provider whose issuer it names, so each issuer is"
                + " configured once");
    }

    @Test
    void aProviderNameIsLowerCase() {
        refused(() -> IdentityConfig.of(Map.of("Keycloak", ProviderConfig.of(ISSUER, "chat"))), "providers")
                .hasMessage("provider name 'Keycloak' must be lower-case letters, digits and dashes, starting with a"
                        + " letter");
    }

    @Test
    void claimPathsAreCheckedAndOnlyRolePathsMayUseAWildcard() {
        refused(() -> new ClaimsConfig("a..b", null, null, null, null), "subject")
                .hasMessage("'a..b' is not a claim path (expected a name or a dotted path like realm_access.roles)");
        refused(() -> new ClaimsConfig(null, null, "teams.*", null, null), "groups")
                .hasMessage("'teams.*' may not use '*'; only role paths may");
        refused(() -> new ClaimsConfig(null, null, null, null, List.of("a.*.b.*.c")), "roles")
                .hasMessage("'a.*.b.*.c' may hold one '*', as a whole segment (e.g. resource_access.*.roles)");
        refused(() -> new ClaimsConfig(null, null, null, null, List.of("apps.x*.roles")), "roles")
                .hasMessage("'apps.x*.roles' may hold one '*', as a whole segment (e.g. resource_access.*.roles)");
    }

    @Test
    void mfaNeedsAnAcrOrAnAmr() {
        refused(() -> new MfaConfig(Set.of(), null), null).hasMessage("name at least one acr value or amr method that"
                + " proves a second factor, e.g. requireMfa: {amr: [otp]}");
    }

    @Test
    void agesAreBounded() {
        refused(() -> new Requirements(Duration.ZERO, null, null), "maxTokenAge")
                .hasMessage("must be between 1s and 720h, got 0s");
        refused(() -> new AuthConfig(null, null, Duration.ofDays(31), null, null), "maxAuthAge")
                .hasMessage("must be between 1s and 720h, got 744h");
    }

    @Test
    void introspectionNeedsClientCredentials() {
        refused(() -> new IntrospectionConfig(null, null, Secret.of("env:X", "s"), null), "clientId")
                .hasMessage("is required: the gateway's client id at the identity provider");
        refused(() -> new IntrospectionConfig(null, "gatehouse", null, null), "clientSecret")
                .hasMessage("is required: env:NAME or file:PATH holding the client secret");
        assertThat(new IntrospectionConfig(null, "gatehouse", Secret.of("env:X", "s"), null).cacheTtl())
                .isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void theStepNamesProvidersOnceOrLeavesThemOut() {
        assertThat(AuthConfig.defaults().providers()).isNull();
        assertThat(AuthConfig.defaults().forwardIdentity()).isFalse();
        refused(() -> new AuthConfig(List.of(), null, null, null, null), "providers").hasMessage("must name at least one"
                + " provider when given; leave it out to accept every provider in identity.providers");
        refused(() -> new AuthConfig(List.of("a", "a"), null, null, null, null), "providers")
                .hasMessage("names a provider twice: [a, a]");
    }

    @Test
    void aStepNamingAnUnknownProviderIsRefusedAtCreation() {
        IdentityConfig identity = IdentityConfig.of(Map.of("kc", ProviderConfig.of(ISSUER, "chat")));

        refused(() -> AuthTestSupport.harness(identity, new AuthConfig(List.of("okta"), null, null, null, null)),
                "providers").hasMessage("unknown identity provider 'okta' (known: kc)");
    }

    @Test
    void aStepWithoutAnyProviderIsRefusedAtCreation() {
        refused(() -> AuthTestSupport.harness(new IdentityConfig(null, null, null, null, null), AuthConfig.defaults()),
                null).hasMessage("no identity provider is configured: add one to gateway.yaml, e.g. identity:"
                + " {providers: {keycloak: {issuer: https://sso.example/realms/gatehouse, audiences: [gatehouse]}}}");
        refused(() -> ProcessorHarness.of(new AuthProcessorFactory(), AuthConfig.defaults()), null)
                .hasMessageStartingWith("no identity provider is configured");
    }

    @Test
    void anEndpointAcceptsOpaqueTokensFromOneProviderOnly() {
        IntrospectionConfig introspection = new IntrospectionConfig(null, "gw", Secret.of("env:X", "s"), null);
        Map<String, ProviderConfig> providers = new LinkedHashMap<>();
        providers.put("a", new ProviderConfig(ISSUER, List.of("chat"), null, null, null, null, null, null, null, null,
                introspection));
        providers.put("b", new ProviderConfig("https://idp.test/realms/b", List.of("chat"), null, null, null, null,
                null, null, null, null, introspection));

        refused(() -> AuthTestSupport.harness(IdentityConfig.of(providers), AuthConfig.defaults()), "providers")
                .hasMessage("identity providers 'a' and 'b' both accept opaque tokens (introspection); an endpoint"
                        + " accepts opaque tokens from one provider only, so that no token is shown to another provider");
        assertThat(AuthTestSupport.harness(IdentityConfig.of(providers), new AuthConfig(List.of("b"), null, null, null,
                null)).processor()).hasToString("auth[endpoint=test, providers=[b], forwardIdentity=false]");
    }

    @Test
    void forwardingTheIdentityNeedsTheGatewaySigner() {
        IdentityConfig identity = IdentityConfig.of(Map.of("kc", ProviderConfig.of(ISSUER, "chat")));

        assertThatThrownBy(() -> ProcessorHarness.builder(new AuthProcessorFactory(),
                        new AuthConfig(null, null, null, null, true)).gateway(identity).services(GatewayServices.none())
                .build()).isInstanceOf(ConfigException.class)
                .hasMessage("step 'auth' needs a GatewaySigner, which this gateway does not provide");
    }

    @Test
    void theFactoryIsAuthInTheAuthenticatePhaseAndOwnsTheIdentitySection() {
        AuthProcessorFactory factory = new AuthProcessorFactory();

        assertThat(factory.id()).isEqualTo("auth");
        assertThat(factory.phase()).isEqualTo(Phase.AUTHENTICATE);
        assertThat(factory.configType()).isEqualTo(AuthConfig.class);
        assertThat(factory.gatewaySection()).hasValueSatisfying(s -> {
            assertThat(s.key()).isEqualTo("identity");
            assertThat(s.type()).isEqualTo(IdentityConfig.class);
        });
    }
}
