package io.gatehouse.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Outcome;
import io.gatehouse.testkit.ProcessorHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The verified-token cache: keyed by a hash, bounded, dropped at exp, shared by endpoints, rules still checked. */
class AuthTokenCacheTest extends AuthTestSupport {

    private static Identity someone(Instant exp) {
        return new Identity("s", "s", ISSUER, null, Set.of(), Set.of(), null, List.of(), null, null, exp, null, Map.of());
    }

    @Test
    void aRememberedTokenIsNotVerifiedAgainWhileItsKeyIdIsStillPublished() {
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url())) {
            String remembered = Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW).build());
            assertThat(harness.request(bearer(remembered))).isSameAs(Outcome.proceed());

            idp.serve(Keys.RSA_IMPOSTOR); // same kid, another key: a fresh verification would now fail
            harness.clock().advance(Duration.ofMinutes(5));
            harness.request(bearer(remembered));
            idp.awaitHits(2);

            int[] serial = {0};
            Outcome fresh = eventually(() -> harness.request(bearer(Keys.sign(Keys.RSA, JWSAlgorithm.RS256,
                    claims(harness.clock().instant()).jwtID("fresh-" + serial[0]++).build()))), AuthTestSupport::denied);
            assertThat(reason(fresh)).as("a fresh verification uses the refreshed keys").isEqualTo("bad-signature");
            assertThat(harness.request(bearer(remembered))).isSameAs(Outcome.proceed());
        }
    }

    @Test
    void aRememberedTokenIsVerifiedAgainOnceItsKeyIsWithdrawn() {
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url())) {
            String token = Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW).build());
            assertThat(harness.request(bearer(token))).isSameAs(Outcome.proceed());

            idp.serve(Keys.RSA_ROTATED);
            harness.clock().advance(Duration.ofMinutes(4));
            harness.clock().advance(Duration.ofSeconds(30));
            harness.request(bearer(token)); // past nothing yet: cached keys, no refresh
            assertThat(idp.hits()).isEqualTo(1);
            harness.clock().advance(Duration.ofSeconds(30));
            assertThat(harness.request(bearer(token))).as("keys expired: served while refreshing")
                    .isSameAs(Outcome.proceed());
            idp.awaitHits(2);

            assertThat(reason(eventually(() -> harness.request(bearer(token)), AuthTestSupport::denied)))
                    .isEqualTo("unknown-key");
        }
    }

    @Test
    void withTheCacheOffEveryUseIsVerified() {
        try (var idp = new JwksServer(Keys.RSA);
             var harness = harness(new IdentityConfig(Map.of("idp", provider(idp.url())), null, null, 0, null),
                     AuthConfig.defaults())) {
            String token = Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW).build());
            assertThat(harness.request(bearer(token))).isSameAs(Outcome.proceed());
            idp.serve(Keys.RSA_IMPOSTOR);
            harness.clock().advance(Duration.ofMinutes(5));
            harness.request(bearer(token));
            idp.awaitHits(2);

            assertThat(reason(eventually(() -> harness.request(bearer(token)), AuthTestSupport::denied)))
                    .isEqualTo("bad-signature");
        }
    }

    @Test
    void endpointsShareTheCacheButEachAcceptsOnlyItsOwnProviders() {
        AuthProcessorFactory factory = new AuthProcessorFactory();
        try (var idp = new JwksServer(Keys.RSA); var other = new JwksServer(Keys.OTHER)) {
            Map<String, ProviderConfig> providers = new java.util.LinkedHashMap<>();
            providers.put("idp", provider(idp.url()));
            providers.put("other", new ProviderConfig("https://idp.test/realms/other", List.of("chat"), other.url(),
                    null, null, null, null, null, null, null, null));
            try (var all = ProcessorHarness.builder(factory, AuthConfig.defaults()).endpointId("a")
                    .gateway(IdentityConfig.of(providers)).build();
                 var onlyOther = ProcessorHarness.builder(factory, new AuthConfig(List.of("other"), null, null, null,
                         null)).endpointId("b").build()) {
                String token = Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW).build());
                assertThat(all.request(bearer(token))).isSameAs(Outcome.proceed());

                assertDenied(onlyOther.request(bearer(token)), invalidToken("issuer-not-accepted", "the token was"
                        + " issued by " + ISSUER + " (identity provider 'idp'), which this endpoint does not accept; it"
                        + " accepts tokens issued by https://idp.test/realms/other"));
                assertThat(all.request(bearer(token))).isSameAs(Outcome.proceed());
                assertThat(idp.hits()).isEqualTo(1);
                assertThat(other.hits()).isZero();
            }
        }
    }

    @Test
    void theCacheIsBoundedAndDropsExpiredEntriesFirst() {
        TokenCache cache = new TokenCache(8);
        for (int i = 0; i < 4; i++) {
            cache.put(TokenCache.digest("expiring-" + i), new TokenCache.Entry("idp", someone(NOW), null, false,
                    NOW.plusSeconds(10)), NOW);
        }
        for (int i = 0; i < 4; i++) {
            cache.put(TokenCache.digest("lasting-" + i), new TokenCache.Entry("idp", someone(NOW), null, false,
                    NOW.plusSeconds(1000)), NOW);
        }
        assertThat(cache.size()).isEqualTo(8);

        cache.put(TokenCache.digest("new"), new TokenCache.Entry("idp", someone(NOW), null, false,
                NOW.plusSeconds(1000)), NOW.plusSeconds(20));

        assertThat(cache.size()).isEqualTo(5);
        for (int i = 0; i < 4; i++) {
            assertThat(cache.get(TokenCache.digest("lasting-" + i), NOW.plusSeconds(20))).isNotNull();
        }
        for (int i = 0; i < 100; i++) {
            cache.put(TokenCache.digest("flood-" + i), new TokenCache.Entry("idp", someone(NOW), null, false,
                    NOW.plusSeconds(1000)), NOW.plusSeconds(20));
        }
        assertThat(cache.size()).isLessThanOrEqualTo(8);
    }

    @Test
    void anEntryIsGoneAtItsExpiryAndTheKeyIsAHashNotTheToken() {
        TokenCache cache = new TokenCache(8);
        TokenCache.Digest digest = TokenCache.digest("token-a");
        cache.put(digest, new TokenCache.Entry("idp", someone(NOW), "k", false, NOW.plusSeconds(60)), NOW);

        assertThat(cache.get(digest, NOW.plusSeconds(59))).isNotNull();
        assertThat(cache.get(digest, NOW.plusSeconds(60))).isNull();
        assertThat(cache.size()).isZero();
        assertThat(TokenCache.digest("token-a")).isEqualTo(digest).isNotEqualTo(TokenCache.digest("token-b"));
        assertThat(digest.toString()).doesNotContain("token-a");
    }
}
