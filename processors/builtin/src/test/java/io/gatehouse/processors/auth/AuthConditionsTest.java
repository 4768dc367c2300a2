package io.gatehouse.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWTClaimsSet;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Outcome;
import io.gatehouse.testkit.ProcessorHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** MFA for privileged groups (RFC 9470), and short-lived tokens: per provider, per group, per endpoint. */
class AuthConditionsTest extends AuthTestSupport {

    private final JwksServer idp = new JwksServer(Keys.RSA);

    @AfterEach
    void close() {
        idp.close();
    }

    private static String rs256(JWTClaimsSet.Builder claims) {
        return Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims.build());
    }

    private ProcessorHarness<AuthConfig> harness(Map<String, Requirements> groups, AuthConfig step,
                                                 Duration providerMaxTokenAge) {
        ProviderConfig provider = new ProviderConfig(ISSUER, List.of("chat"), idp.url(), null, null, null,
                providerMaxTokenAge, null, null, null, null);
        return harness(new IdentityConfig(Map.of("idp", provider), groups, null, null, null), step);
    }

    private static Outcome.Deny insufficient(String reason, String detail, String extra) {
        return new Outcome.Deny(401, "Insufficient authentication", detail, new DecidingRule("auth", reason, detail),
                Map.of("WWW-Authenticate", "Bearer realm=\"gatehouse\", error=\"insufficient_user_authentication\","
                        + " error_description=\"" + detail + "\"" + extra));
    }

    private static final Map<String, Requirements> LEADS_NEED_OTP = Map.of("ml-leads",
            new Requirements(null, null, new MfaConfig(null, Set.of("otp"))));

    @Test
    void aMemberOfAGroupThatRequiresMfaWithoutASecondFactorGetsInsufficientUserAuthentication() {
        try (var harness = harness(LEADS_NEED_OTP, AuthConfig.defaults(), null)) {
            String token = rs256(claims(NOW).claim("groups", List.of("ml-leads")).claim("acr", "1")
                    .claim("amr", List.of("pwd")));

            assertDenied(harness.request(bearer(token)), insufficient("mfa-required", "group 'ml-leads' requires a"
                    + " second factor: the token shows amr [pwd] and acr 1, but needs amr otp; sign in again with a"
                    + " second factor", ""));
        }
    }

    @Test
    void theSameMemberWithAnOtpSignInProceedsAndOtherGroupsAreNotAffected() {
        try (var harness = harness(LEADS_NEED_OTP, AuthConfig.defaults(), null)) {
            assertThat(harness.request(bearer(rs256(claims(NOW).claim("groups", List.of("ml-leads"))
                    .claim("amr", List.of("pwd", "otp")))))).isSameAs(Outcome.proceed());
            assertThat(harness.request(bearer(rs256(claims(NOW).claim("groups", List.of("analysts"))))))
                    .isSameAs(Outcome.proceed());
        }
    }

    @Test
    void anAcrRequirementIsNamedInTheChallengeAsAcrValues() {
        Map<String, Requirements> groups = Map.of("ml-leads",
                new Requirements(null, null, new MfaConfig(Set.of("gold", "2"), Set.of("otp"))));
        try (var harness = harness(groups, AuthConfig.defaults(), null)) {
            String token = rs256(claims(NOW).claim("groups", List.of("/ml-leads")));

            assertDenied(harness.request(bearer(token)), insufficient("mfa-required", "group 'ml-leads' requires a"
                    + " second factor: the token shows no amr and no acr, but needs amr otp or acr one of [2, gold];"
                    + " sign in again with a second factor", ", acr_values=\"2 gold\""));
            assertThat(harness.request(bearer(rs256(claims(NOW).claim("groups", List.of("ml-leads"))
                    .claim("acr", "gold"))))).isSameAs(Outcome.proceed());
        }
    }

    @Test
    void anEndpointCanRequireMfaOfEveryCaller() {
        try (var harness = harness(Map.of(), new AuthConfig(null, null, null, new MfaConfig(null, Set.of("otp", "hwk")),
                null), null)) {
            assertDenied(harness.request(bearer(rs256(claims(NOW)))), insufficient("mfa-required", "this endpoint"
                    + " requires a second factor: the token shows no amr and no acr, but needs amr one of [hwk, otp];"
                    + " sign in again with a second factor", ""));
            assertThat(harness.request(bearer(rs256(claims(NOW).claim("amr", "hwk"))))).isSameAs(Outcome.proceed());
        }
    }

    @Test
    void aTokenOlderThanTheProvidersMaxTokenAgeIsRejectedThoughItsExpIsFarAway() {
        try (var harness = harness(Map.of(), AuthConfig.defaults(), Duration.ofHours(1))) {
            String old = rs256(claims(NOW).issueTime(Date.from(NOW.minusSeconds(3631)))
                    .expirationTime(Date.from(NOW.plusSeconds(86400))));

            assertDenied(harness.request(bearer(old)), invalidToken("token-too-old", "the token was issued at"
                    + " 2025-12-31T22:59:29Z (iat); identity provider 'idp' accepts tokens up to 1h old; get a new token"));
            assertThat(harness.request(bearer(rs256(claims(NOW).issueTime(Date.from(NOW.minusSeconds(3629)))))))
                    .as("within the clock skew").isSameAs(Outcome.proceed());
        }
    }

    @Test
    void aGroupCanHaveAShorterMaxTokenAgeThanTheProvider() {
        Map<String, Requirements> groups = Map.of("ml-leads", new Requirements(Duration.ofMinutes(15), null, null));
        try (var harness = harness(groups, AuthConfig.defaults(), Duration.ofHours(1))) {
            JWTClaimsSet.Builder twentyMinutesOld = claims(NOW).issueTime(Date.from(NOW.minusSeconds(1200)));

            assertThat(harness.request(bearer(rs256(twentyMinutesOld)))).isSameAs(Outcome.proceed());
            assertDenied(harness.request(bearer(rs256(twentyMinutesOld.claim("groups", List.of("ml-leads"))))),
                    invalidToken("token-too-old", "the token was issued at 2025-12-31T23:40:00Z (iat); group 'ml-leads'"
                            + " accepts tokens up to 15m old; get a new token"));
        }
    }

    @Test
    void anEndpointMaxTokenAgeNeedsAnIat() {
        try (var harness = harness(Map.of(), new AuthConfig(null, Duration.ofMinutes(5), null, null, null), null)) {
            assertDenied(harness.request(bearer(rs256(claims(NOW).issueTime(null)))), invalidToken("token-too-old",
                    "the token has no issue time (iat), so its age cannot be checked against the maxTokenAge of this"
                            + " endpoint (5m); get a new token"));
        }
    }

    @Test
    void aSignInOlderThanMaxAuthAgeAsksForAFreshSignInWithMaxAge() {
        Map<String, Requirements> groups = Map.of("ml-leads", new Requirements(null, Duration.ofHours(1), null));
        try (var harness = harness(groups, AuthConfig.defaults(), null)) {
            JWTClaimsSet.Builder lead = claims(NOW).claim("groups", List.of("ml-leads"));

            assertDenied(harness.request(bearer(rs256(lead.claim("auth_time", NOW.minusSeconds(7200).getEpochSecond())))),
                    insufficient("auth-too-old", "group 'ml-leads' requires a sign-in within the last 1h: the user"
                            + " signed in at 2025-12-31T22:00:00Z (auth_time); sign in again", ", max_age=\"3600\""));
            assertDenied(harness.request(bearer(rs256(claims(NOW).claim("groups", List.of("ml-leads")))
                    )), insufficient("auth-too-old", "group 'ml-leads' requires a sign-in within the last 1h, and the"
                    + " token does not say when the user signed in (auth_time); sign in again", ", max_age=\"3600\""));
            assertThat(harness.request(bearer(rs256(claims(NOW).claim("groups", List.of("ml-leads"))
                    .claim("auth_time", NOW.minusSeconds(600).getEpochSecond()))))).isSameAs(Outcome.proceed());
        }
    }

    @Test
    void theAgeOfARememberedTokenIsCheckedAgainOnEveryUse() {
        try (var harness = harness(Map.of(), new AuthConfig(null, Duration.ofMinutes(2), null, null, null), null)) {
            String token = rs256(claims(NOW));
            assertThat(harness.request(bearer(token))).isSameAs(Outcome.proceed());

            harness.clock().advance(Duration.ofSeconds(151));

            assertThat(reason(harness.request(bearer(token)))).isEqualTo("token-too-old");
        }
    }

    @Test
    void mfaIsCheckedPerEndpointEvenForATokenRememberedFromAnotherEndpoint() {
        AuthProcessorFactory factory = new AuthProcessorFactory();
        Map<String, ProviderConfig> providers = new LinkedHashMap<>();
        providers.put("idp", provider(idp.url()));
        try (var open = ProcessorHarness.builder(factory, AuthConfig.defaults()).endpointId("chat")
                .gateway(IdentityConfig.of(providers)).build();
             var strict = ProcessorHarness.builder(factory, new AuthConfig(null, null, null,
                     new MfaConfig(null, Set.of("otp")), null)).endpointId("admin").build()) {
            String token = rs256(claims(NOW));

            assertThat(open.request(bearer(token))).isSameAs(Outcome.proceed());
            assertThat(reason(strict.request(bearer(token)))).isEqualTo("mfa-required");
            assertThat(idp.hits()).isEqualTo(1);
        }
    }

    @Test
    void timeLimitsUseTheGatewayClockNotTheWallClock() {
        try (var harness = harness(Map.of(), new AuthConfig(null, Duration.ofHours(1), null, null, null), null)) {
            Instant later = NOW.plus(Duration.ofDays(400));
            harness.clock().set(later);

            assertThat(harness.request(bearer(rs256(claims(later))))).isSameAs(Outcome.proceed());
        }
    }
}
