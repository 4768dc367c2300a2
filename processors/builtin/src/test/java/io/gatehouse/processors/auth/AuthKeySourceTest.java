package io.gatehouse.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Outcome;
import io.gatehouse.testkit.ProcessorHarness;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Where keys come from: the configured JWKS only, cached, refetched at a bounded rate, failing closed. */
class AuthKeySourceTest extends AuthTestSupport {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private static String token(RSAKey key) {
        return Keys.sign(key, JWSAlgorithm.RS256, claims(NOW).build());
    }

    @Test
    void keysAreFetchedOnceAndThenServedFromTheCache() {
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url())) {
            for (int i = 0; i < 5; i++) {
                assertThat(harness.request(bearer(token(Keys.RSA)))).isSameAs(Outcome.proceed());
            }

            assertThat(idp.hits()).isEqualTo(1);
        }
    }

    @Test
    void anUnknownKidTriggersARefetchAndTheRotatedKeyIsThenAccepted() {
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url())) {
            assertThat(harness.request(bearer(token(Keys.RSA)))).isSameAs(Outcome.proceed());
            idp.serve(Keys.RSA_ROTATED);

            assertThat(harness.request(bearer(token(Keys.RSA_ROTATED)))).isSameAs(Outcome.proceed());
            assertThat(idp.hits()).isEqualTo(2);
        }
    }

    @Test
    void manyRandomUnknownKidsCauseAtMostOneRefetchPerInterval() {
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url())) {
            harness.request(bearer(token(Keys.RSA)));

            for (int i = 0; i < 50; i++) {
                String kid = UUID.randomUUID().toString();
                Outcome outcome = harness.request(bearer(token(Keys.rsaWithKid(Keys.ATTACKER, kid))));
                assertDenied(outcome, invalidToken("unknown-key", "the signing key of the token (kid " + kid
                        + ") is not one of the keys of the identity provider; get a new token"));
            }

            assertThat(idp.hits()).isEqualTo(2);
            assertThat(harness.request(bearer(token(Keys.RSA)))).isSameAs(Outcome.proceed());
        }
    }

    @Test
    void aJwksServerThatIsDownWithNothingCachedFailsClosedWith503() {
        try (var harness = harness(JwksServer.nothingListening())) {
            String detail = "the signing keys of the identity provider could not be fetched and none are cached,"
                    + " so no token can be verified; try again shortly";
            Outcome.Deny expected = new Outcome.Deny(503, "Identity provider unavailable", detail,
                    new DecidingRule("auth", "idp-unavailable", detail), Map.of("Retry-After", "60"));

            // The first two calls reach for the JWKS; the third is held back by the rate limit: all fail closed.
            for (int i = 0; i < 3; i++) {
                assertDenied(harness.request(bearer(token(Keys.RSA))), expected);
            }
        }
    }

    @Test
    void aJkuHeaderPointingElsewhereIsIgnored() {
        try (var idp = new JwksServer(Keys.RSA); var attacker = new JwksServer(Keys.ATTACKER);
             var harness = harness(idp.url())) {
            URI elsewhere = attacker.url();
            String forged = Keys.sign(Keys.ATTACKER, JWSAlgorithm.RS256, claims(NOW).build(), h -> h.jwkURL(elsewhere));
            String genuine = Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW).build(), h -> h.jwkURL(elsewhere));

            assertThat(((Outcome.Deny) harness.request(bearer(forged))).rule().rule()).isEqualTo("unknown-key");
            assertThat(harness.request(bearer(genuine))).isSameAs(Outcome.proceed());
            assertThat(attacker.hits()).isZero();
        }
    }

    @Test
    void aKeyEmbeddedInTheHeaderIsIgnored() {
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url())) {
            String forged = Keys.sign(Keys.ATTACKER, JWSAlgorithm.RS256, claims(NOW).build(),
                    h -> h.jwk(Keys.ATTACKER.toPublicJWK()));

            assertDenied(harness.request(bearer(forged)), invalidToken("unknown-key", "the signing key of the token"
                    + " (kid attacker) is not one of the keys of the identity provider; get a new token"));
        }
    }

    @Test
    void anRsaKeyShorterThan2048BitsIsNeverUsed() {
        RSAKey weak = Keys.rsa("weak", 1024);
        try (var idp = new JwksServer(Keys.RSA, weak); var harness = harness(idp.url())) {
            assertThat(((Outcome.Deny) harness.request(bearer(token(weak)))).rule().rule()).isEqualTo("unknown-key");
        }
    }

    @Test
    void theRefetchIntervalIsConfigurable() {
        try (var idp = new JwksServer(Keys.RSA);
             ProcessorHarness<AuthConfig> harness = harness(new AuthConfig(idp.url(), ISSUER, java.util.List.of("chat"),
                     null, null, null, java.time.Duration.ofSeconds(1), null, null))) {
            harness.request(bearer(token(Keys.RSA)));
            harness.request(bearer(token(Keys.rsaWithKid(Keys.ATTACKER, "k1"))));
            harness.request(bearer(token(Keys.rsaWithKid(Keys.ATTACKER, "k2"))));
            assertThat(idp.hits()).isEqualTo(2);

            idp.serve(Keys.RSA, Keys.RSA_ROTATED);
            sleepPast(java.time.Duration.ofMillis(1100));

            assertThat(harness.request(bearer(token(Keys.RSA_ROTATED)))).isSameAs(Outcome.proceed());
            assertThat(idp.hits()).isEqualTo(3);
        }
    }

    private static void sleepPast(java.time.Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
